import type { SQSRecord } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { sqsBatchHandler } from './commons/handler.js';
import { handleSqsRecord } from './email/feedback.js';

/**
 * SQS consumer of SES event publishing records (SES -> SNS -> SQS). Records are independent:
 * each body is parsed (an SNS envelope or the bare record, by zod) and stored on its own, and
 * only the records that fail are reported for redelivery.
 */
export async function processEmailEventsRecord(record: SQSRecord): Promise<void> {
  const config = getConfig();
  await handleSqsRecord(record, { table: config.TABLE_NAME, retentionDays: config.EVENT_RETENTION_DAYS });
}

export const handler = sqsBatchHandler(processEmailEventsRecord);
