import { createHash } from 'node:crypto';

/**
 * One table, documented in the README ("Storage design"). Every key is derived from producer
 * ids (messageId, order id + status, SES messageId + type + recipient), never from arrival
 * order or a clock, so redeliveries overwrite themselves instead of adding rows.
 */
export const CUSTOMER_SHARDS = 16;

export const customerPk = (customerId: string): string => `C#${customerId}`;
/** Every event's sort key starts with this (a customer's events: `begins_with(sk, 'E#')`). */
export const EVENT_SK_PREFIX = 'E#';
/**
 * An event whose time the producer gave (it comes back identical in every redelivery): keyed by
 * that time, so the table's own sort order is the customer's timeline and time-range queries need
 * no index copy. ISO-8601 UTC (toISOString) sorts lexicographically in time order.
 */
export const timedEventSk = (producerTime: string, eventId: string): string => `E#${producerTime}#${eventId}`;
/**
 * An event whose time winback supplied (its receipt time: it changes with every redelivery, so it
 * cannot be part of the key). '!' sorts below the digits of every timed key, out of time ranges;
 * such events are found by time through the byTime index (`tsk`).
 */
export const untimedEventSk = (eventId: string): string => `E#!${eventId}`;
/** Bounds of the timed events in a partition: every timed key sorts between them. */
export const TIMED_EVENTS_FROM = 'E#0';
export const TIMED_EVENTS_TO = 'E#:';
/**
 * Sort key of the byTime LSI, a sparse index: only events whose place in time is not their sort
 * key (skew-corrected or untimed ones) carry `tsk`, so it costs nothing for the rest.
 */
export const eventTsk = (timestamp: string, eventId: string): string => `${timestamp}#${eventId}`;
/**
 * A profile change (traits, consent) made by one event, keyed by the event alone (its corrected
 * time may differ between redeliveries); the profile merges them in order of their `at`.
 */
export const patchSk = (eventId: string): string => `P#${eventId}`;
export const PROFILE_SK = 'PROFILE';
/**
 * A copy of an order event (placed, cancelled, refunded), keyed by its event id, kept apart from
 * the event stream: 'O#' sorts after every event and before the profile, score and ledger, so the
 * send step reads the customer's orders with what it checks in one Query, without the history.
 */
export const ORDER_COPY_SK_PREFIX = 'O#';
export const orderCopySk = (eventId: string): string => `${ORDER_COPY_SK_PREFIX}${eventId}`;

export const aliasPk = (anonymousId: string): string => `ANON#${anonymousId}`;
export const ALIAS_SK = 'ALIAS';
/** A user id merged into another by a Segment `alias` (sk ALIAS_SK); the first merge wins. */
export const userAliasPk = (previousId: string): string => `USERALIAS#${previousId}`;
/**
 * The alias log: every user-id merge, numbered (sk aliasLogSk), and its counter (sk
 * ALIAS_LOG_COUNTER_SK), so that processors learn of new merges with one small read per batch
 * instead of one read per customer (functions/store/identities.ts).
 */
export const ALIAS_LOG_PK = 'ALIASLOG';
export const ALIAS_LOG_COUNTER_SK = 'SEQ';
export const aliasLogSk = (seq: number): string => `LOG#${String(seq).padStart(12, '0')}`;

export const emailPk = (email: string): string => `EMAIL#${email}`;
export const suppressionPk = (email: string): string => `SUPP#${email}`;
export const suppressionSk = (reason: string): string => `SUPP#${reason}`;

/** Customers are spread over shards so scoring and audiences can fan out (Map state per shard). */
export function customerShard(customerId: string): number {
  return createHash('sha1').update(customerId).digest().readUInt16BE(0) % CUSTOMER_SHARDS;
}
export const customersShardPk = (shard: number): string => `CUSTOMERS#${String(shard).padStart(2, '0')}`;

/* ---- scores (issue 3): one current score per customer + audience and crossing indexes ---- */

/** The customer's current score (one item, overwritten by each scoring run). */
export const SCORE_SK = 'SCORE';
/** A churn-threshold crossing found by the scoring run at `scoredAt` (ISO). */
export const scoreChangeSk = (scoredAt: string): string => `SCORECHG#${scoredAt}`;
/** Audience partition on gsi1 of SCORE items: all customers of a value tier. */
export const tierAudiencePk = (tier: string): string => `TIER#${tier}`;
/** Audience sort key: band first, so a range of bands is one Query (BETWEEN '60#' AND '99#~'). */
export const audienceSk = (band: string, customerId: string): string => `${band}#${customerId}`;
/** Crossings feed on gsi1 of SCORECHG items: every crossing found on a UTC day. */
export const crossingsDayPk = (day: string): string => `CROSS#${day}`;
export const crossingSk = (scoredAt: string, customerId: string): string => `${scoredAt}#${customerId}`;

/* ---- campaigns (issue 4): journeys, entries, local executions ---- */

/** Everything winback records about one campaign's journeys (entries, trigger cursors). */
export const campaignPk = (campaignId: string): string => `CAMPAIGN#${campaignId}`;
/** One journey entry: a customer entering a campaign for one trigger instance. */
export const entrySk = (customerId: string, triggerId: string): string => `ENTRY#${customerId}#${triggerId}`;
/** Prefix of a customer's entries of a campaign (re-entry rule). */
export const entryCustomerPrefix = (customerId: string): string => `ENTRY#${customerId}#`;
export const ENTRY_SK_PREFIX = 'ENTRY#';
/**
 * Local stand-in for Step Functions' execution-name uniqueness (scripts/local/stepfunctions.ts):
 * a conditional put on (campaign, customer#trigger) admits one execution per journey.
 */
export const journeyExecutionPk = (campaignId: string): string => `JOURNEY#${campaignId}`;
export const journeyExecutionSk = (customerId: string, triggerId: string): string => `${customerId}#${triggerId}`;

/* ---- campaigns (issue 4): send ledger, coupons, points, unsubscribe receipts ---- */

/**
 * Send ledger entry, under the customer's partition so that the frequency cap is one Query
 * (`begins_with(sk, 'SEND#')`). No `tsk` attribute: ledger items stay out of the byTime event index.
 */
export const SEND_SK_PREFIX = 'SEND#';
export const sendLedgerSk = (campaignId: string, stepId: string, entryId: string): string =>
  `${SEND_SK_PREFIX}${campaignId}#${stepId}#${entryId}`;
/** gsi1 partition of ledger items: every entry of one campaign (outcomes, reconciler). */
export const campaignLedgerPk = (campaignId: string): string => `LEDGER#${campaignId}`;
export const campaignLedgerSk = (customerId: string, stepId: string, entryId: string): string =>
  `${customerId}#${stepId}#${entryId}`;

/** A single-use coupon, keyed by its (unguessable, deterministic) code. */
export const couponPk = (code: string): string => `COUPON#${code}`;
export const COUPON_SK = 'COUPON';

/** A loyalty points credit (or debit) of a customer, idempotent by its entry id. */
export const POINTS_SK_PREFIX = 'PTS#';
export const pointsSk = (entryId: string): string => `${POINTS_SK_PREFIX}${entryId}`;
/** Per-run counter of a fan-out (send limit per run). */
export const runSk = (runId: string): string => `RUN#${runId}`;
/** The tier a campaign last saw a customer in (tier-upgrade trigger). */
export const TIER_SNAPSHOT_SK_PREFIX = 'TIERSEEN#';
export const tierSnapshotSk = (customerId: string): string => `${TIER_SNAPSHOT_SK_PREFIX}${customerId}`;
/** The journey a customer is currently in, per campaign: the lock that makes "one active journey" atomic. */
export const activeJourneySk = (customerId: string): string => `ACTIVE#${customerId}`;

/* ---- external systems (issue 11): ids another system gives a customer, privacy requests ---- */

/** The winback customer an external id (a Shopify shop's customer) resolved to; the first link wins. */
export const externalIdPk = (externalId: string): string => `EXT#${externalId}`;
export const EXTERNAL_LINK_SK = 'LINK';
/** Data-subject requests (Shopify's customers/data_request, customers/redact, shop/redact) for erasure to act on. */
export const COMPLIANCE_PK = 'COMPLIANCE';
export const complianceSk = (source: string, shop: string, requestKey: string): string => `${source}#${shop}#${requestKey}`;
