import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSEvent, SQSBatchResponse, SQSBatchItemFailure } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { logger } from './commons/logger.js';
import { decodeEnvelope } from './events/envelope.js';
import type { StoredEvent } from '../kernel/events/stored-event.js';
import { redeemOrderCoupons } from './campaigns/redemptions.js';
import { storeEvents } from './store/events.js';
import { prepareShopifyEvents } from './ingest/shopify/shopify-identity.js';

/**
 * SQS consumer of the events queue. Stores the events of the whole batch together (fewest
 * round trips); if that fails, stores record by record to report exactly which ones failed.
 * Every write is idempotent, so the second pass and SQS redeliveries cannot duplicate anything.
 * Placed orders carrying a winback coupon code redeem it (once, for that order).
 */
export const processEvents = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const config = getConfig();
  const options = { table: config.TABLE_NAME, retentionDays: config.EVENT_RETENTION_DAYS };
  const failures: SQSBatchItemFailure[] = [];
  const decoded: Array<{ id: string; events: StoredEvent[] }> = [];
  for (const record of event.Records) {
    try {
      decoded.push({ id: record.messageId, events: decodeEnvelope(record.body).events });
    } catch (error) {
      // Cannot succeed on retry; reported so that redrive parks it in the DLQ for inspection.
      logger.error('undecodable queue message', { messageId: record.messageId, error: (error as Error).name });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  const storeAndRedeem = async (received: StoredEvent[]): Promise<void> => {
    // Shopify customers are attached by email and compliance requests recorded (table reads the edge cannot make).
    const events = await prepareShopifyEvents(options.table, received);
    await storeEvents(events, options);
    const redemptions = await redeemOrderCoupons(options.table, events);
    if (Object.keys(redemptions).length > 0) logger.info('order coupons', redemptions);
  };
  try {
    await storeAndRedeem(decoded.flatMap((d) => d.events));
  } catch (batchError) {
    logger.warn('batch store failed; retrying record by record', { error: (batchError as Error).name });
    for (const { id, events } of decoded) {
      try {
        await storeAndRedeem(events);
      } catch (error) {
        logger.error('record store failed', { messageId: id, error: (error as Error).name });
        failures.push({ itemIdentifier: id });
      }
    }
  }
  logger.debug('processed batch', { records: event.Records.length, failed: failures.length });
  return { batchItemFailures: failures };
};

export const handler = middy<SQSEvent, SQSBatchResponse>().use(injectLambdaContext(logger)).handler(processEvents);
