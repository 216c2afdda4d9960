import { createHash } from 'node:crypto';

/**
 * One table, documented in the README ("Storage design"). Every key is derived from producer
 * ids (messageId, order id + status, SES messageId + type + recipient), never from arrival
 * order or a clock, so redeliveries overwrite themselves instead of adding rows.
 */
export const CUSTOMER_SHARDS = 16;

export const customerPk = (customerId: string): string => `C#${customerId}`;
export const eventSk = (eventId: string): string => `E#${eventId}`;
/** Sort key of the byTime LSI: ISO timestamps sort lexicographically in time order. */
export const eventTsk = (timestamp: string, eventId: string): string => `${timestamp}#${eventId}`;
/** A profile change (traits, consent) at a point in time; the profile is their time-ordered merge. */
export const patchSk = (timestamp: string, eventId: string): string => `P#${timestamp}#${eventId}`;
export const PROFILE_SK = 'PROFILE';

export const aliasPk = (anonymousId: string): string => `ANON#${anonymousId}`;
export const ALIAS_SK = 'ALIAS';

export const emailPk = (email: string): string => `EMAIL#${email}`;
export const suppressionPk = (email: string): string => `SUPP#${email}`;
export const suppressionSk = (reason: string): string => `SUPP#${reason}`;

/** Customers are spread over shards so scoring and audiences can fan out (Map state per shard). */
export function customerShard(customerId: string): number {
  return createHash('sha1').update(customerId).digest().readUInt16BE(0) % CUSTOMER_SHARDS;
}
export const customersShardPk = (shard: number): string => `CUSTOMERS#${String(shard).padStart(2, '0')}`;
