import type { SQSRecord } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { sqsBatchHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { decodeEnvelope } from './events/envelope.js';
import { storeMessageEvents } from './events/message-processing.js';

/**
 * SQS consumer of the events queue. Each message (one HTTP request's events) is stored on its
 * own: an event DynamoDB refuses for good is parked alone in the dead-letter queue and its
 * neighbours stored; any other failure fails only that message, which SQS redelivers. Every write
 * is idempotent, so redeliveries cannot duplicate anything. Placed orders carrying a winback
 * coupon code redeem it (once, for that order).
 */
export async function processEventsRecord(record: SQSRecord): Promise<void> {
  let events;
  try {
    events = decodeEnvelope(record.body).events;
  } catch (error) {
    // Cannot succeed on retry; reported so that redrive parks it in the DLQ for inspection.
    logger.error('undecodable queue message', { messageId: record.messageId, error: (error as Error).name });
    throw error;
  }
  const config = getConfig();
  await storeMessageEvents(record.messageId, events, {
    table: config.TABLE_NAME,
    retentionDays: config.EVENT_RETENTION_DAYS,
    ...(config.EVENTS_DLQ_URL ? { deadLetterQueueUrl: config.EVENTS_DLQ_URL } : {}),
  });
}

export const handler = sqsBatchHandler(processEventsRecord);
