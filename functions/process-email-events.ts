import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSBatchResponse, SQSRecord, Context } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { logger } from './commons/logger.js';
import { handleSqsRecord } from './email/feedback.js';

/**
 * SQS consumer of SES event publishing records (SES -> SNS -> SQS). Records are independent, so
 * Powertools' batch processor handles them one by one and reports partial failures.
 */
const processor = new BatchProcessor(EventType.SQS);

const recordHandler = async (record: SQSRecord): Promise<void> => {
  const config = getConfig();
  await handleSqsRecord(record, { table: config.TABLE_NAME, retentionDays: config.EVENT_RETENTION_DAYS });
};

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  return processPartialResponse(event, recordHandler, processor, { context });
};
