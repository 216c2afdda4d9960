import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per process. Log ids and counts only: events carry emails and names,
 * which never go to logs.
 */
export const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'winback' });
