import { RetryableError } from '../../kernel/errors.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { redeemOrderCoupons } from '../campaigns/redemptions.js';
import { logger } from '../commons/logger.js';
import { enqueueEvents } from '../ingest/enqueue.js';
import { prepareShopifyEvents } from '../ingest/shopify/shopify-identity.js';
import { storeEvents, type StoreOptions } from '../store/events.js';

/**
 * One queue message holds the events of one HTTP request. They are stored together (fewest round
 * trips); if that fails, one by one, so that an event DynamoDB refuses for good (see
 * refusedForGood) is parked alone in the dead-letter queue
 * while its neighbours are stored. Any other failure is thrown: the message is redelivered, and
 * every write being idempotent, its stored events are not duplicated.
 */
export interface MessageStoreOptions extends StoreOptions {
  /** Where refused events go (the events queue's DLQ); unset: the whole message is retried. */
  readonly deadLetterQueueUrl?: string;
}

export interface MessageOutcome {
  readonly stored: number;
  /** Ids of the events parked in the dead-letter queue. */
  readonly deadLettered: readonly string[];
}

/** The events of a message could not be parked: no dead-letter queue is configured. */
export class UnstorableEventsError extends RetryableError {}

/**
 * DynamoDB's ValidationException (a number outside 1e-130..1e126, an item over 400 KB), or the
 * SDK's marshaller refusing a value before sending (a number beyond 2^53 it cannot convert
 * exactly: a plain Error, with neither a service response nor a system error code): neither
 * changes on a retry. Everything else (throttling, network, a RetryableError) may.
 */
function refusedForGood(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ValidationException') return true;
  return error.constructor === Error && !('$metadata' in error) && !('code' in error);
}

async function storeOneByOne(events: readonly StoredEvent[], options: StoreOptions): Promise<{ stored: StoredEvent[]; refused: StoredEvent[]; cause?: unknown }> {
  const stored: StoredEvent[] = [];
  const refused: StoredEvent[] = [];
  let cause: unknown;
  for (const event of events) {
    try {
      await storeEvents([event], options);
      stored.push(event);
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      refused.push(event);
      cause = error;
    }
  }
  return { stored, refused, ...(cause ? { cause } : {}) };
}

export async function storeMessageEvents(messageId: string, received: readonly StoredEvent[], options: MessageStoreOptions): Promise<MessageOutcome> {
  // Shopify customers are attached by email and compliance requests recorded (table reads the edge cannot make).
  const events = await prepareShopifyEvents(options.table, [...received]);
  let stored: readonly StoredEvent[] = events;
  let refused: readonly StoredEvent[] = [];
  try {
    await storeEvents(events, options);
  } catch (error) {
    logger.warn('message store failed; storing its events one by one', { messageId, events: events.length, error: (error as Error)?.name });
    const split = await storeOneByOne(events, options);
    stored = split.stored;
    refused = split.refused;
    if (refused.length > 0) {
      const eventIds = refused.map((e) => e.eventId);
      if (!options.deadLetterQueueUrl) {
        throw new UnstorableEventsError(`${refused.length} events of message ${messageId} cannot be stored and no dead-letter queue is configured`, { cause: split.cause });
      }
      await enqueueEvents(options.deadLetterQueueUrl, refused);
      logger.error('events refused by the store, parked in the dead-letter queue', { messageId, eventIds, error: (split.cause as Error)?.name });
    }
  }
  const redemptions = await redeemOrderCoupons(options.table, stored);
  if (Object.keys(redemptions).length > 0) logger.info('order coupons', redemptions);
  return { stored: stored.length, deadLettered: refused.map((e) => e.eventId) };
}
