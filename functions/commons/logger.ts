import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per process. Log ids and counts only: events carry emails and names,
 * which never go to logs.
 */
// The service name comes from POWERTOOLS_SERVICE_NAME, which Powertools reads itself (set per function by CDK).
export const logger = new Logger();
