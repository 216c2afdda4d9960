import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';
import { campaignLedgerPk, campaignLedgerSk, customerPk, SEND_SK_PREFIX, sendLedgerSk } from './keys.js';
import { queryAll, queryGsi1Partition } from './query.js';
import type { Item } from './batch.js';
import { SendReasons } from '../campaigns/reasons.js';

/**
 * The send ledger: one item per (campaign, customer, step, entry), written with a conditional
 * write BEFORE SES is called, so that a retried or duplicated step finds it and never sends twice.
 *
 *   pk  C#<customerId>                          (the customer's partition: the frequency cap is one Query)
 *   sk  SEND#<campaignId>#<stepId>#<entryId>
 *   gsi1pk LEDGER#<campaignId>, gsi1sk <customerId>#<stepId>#<entryId>   (a campaign's entries: outcomes, reconciler)
 *
 * States:
 *   pending   claimed, SES not (yet) known to have accepted. A crash between the claim and SES's
 *             answer leaves it here for good: at-most-once. A reconciler lists old pending entries
 *             (`pendingEntries`); they are never re-sent automatically.
 *   sent      SES accepted it (messageId).
 *   failed    SES refused it permanently (reason), e.g. MessageRejected; not retried.
 *   released  SES definitely did not accept it (throttled, or a 5xx answer): the next attempt may claim it again.
 *   holdout   the customer is in the holdout: nothing is sent, the entry is counted by outcomes.
 *
 * Ledger items have no `tsk`, so they never appear in the byTime event index.
 */
export type LedgerStatus = 'pending' | 'sent' | 'failed' | 'released' | 'holdout';

export interface LedgerKey {
  readonly campaignId: string;
  readonly customerId: string;
  readonly stepId: string;
  readonly entryId: string;
}

export interface LedgerEntry extends LedgerKey {
  readonly status: LedgerStatus;
  readonly variant: string;
  readonly group: 'holdout' | 'treatment';
  readonly transactional: boolean;
  readonly template?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly attempts: number;
  readonly sentAt?: string;
  readonly messageId?: string;
  /** Why it failed (SES error name and message) or was released. */
  readonly reason?: string;
  /** A targeted campaign's reason codes: scores, uplift, expected value, coupon step, arbitration. */
  readonly reasons?: SendReasons;
}

export interface ClaimInput extends LedgerKey {
  readonly variant: string;
  readonly group: 'holdout' | 'treatment';
  readonly transactional: boolean;
  readonly template?: string;
  readonly reasons?: SendReasons;
  /** 'pending' before a send; 'holdout' for a holdout entry (final at once). */
  readonly status: 'pending' | 'holdout';
  /** A fresh id per attempt, so that only the claimer can complete or release its claim. */
  readonly claimId: string;
  readonly now: Date;
}

export type ClaimResult = { readonly claimed: true } | { readonly claimed: false; readonly existing: LedgerEntry };

const keyOf = (k: LedgerKey): { pk: string; sk: string } => ({
  pk: customerPk(k.customerId),
  sk: sendLedgerSk(k.campaignId, k.stepId, k.entryId),
});

/** A ledger item as an entry (the send step reads them with the rest of the customer's partition). */
export function toEntry(item: Item): LedgerEntry {
  const opt = (name: string): string | undefined => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const sentAt = opt('sentAt');
  const messageId = opt('messageId');
  const reason = opt('reason');
  const template = opt('template');
  const reasons = item['reasons'] === undefined ? undefined : SendReasons.safeParse(item['reasons']);
  return {
    campaignId: String(item['campaignId']),
    customerId: String(item['customerId']),
    stepId: String(item['stepId']),
    entryId: String(item['entryId']),
    status: item['status'] as LedgerStatus,
    variant: String(item['variant']),
    group: item['group'] === 'holdout' ? 'holdout' : 'treatment',
    transactional: item['transactional'] === true,
    createdAt: String(item['createdAt']),
    updatedAt: String(item['updatedAt']),
    attempts: typeof item['attempts'] === 'number' ? item['attempts'] : 1,
    ...(template ? { template } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(messageId ? { messageId } : {}),
    ...(reason ? { reason } : {}),
    ...(reasons?.success ? { reasons: reasons.data } : {}),
  };
}

/**
 * Claims the entry: creates it (or takes over a `released` one) with a conditional update.
 * `claimed: false` returns the entry that already exists (the caller reports a duplicate).
 */
export async function claimLedgerEntry(table: string, input: ClaimInput): Promise<ClaimResult> {
  const now = input.now.toISOString();
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: keyOf(input),
        UpdateExpression:
          'SET #status = :status, claimId = :claim, campaignId = :campaign, customerId = :customer, stepId = :step, entryId = :entry, ' +
          'variant = :variant, #group = :group, transactional = :tx, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, ' +
          'attempts = if_not_exists(attempts, :zero) + :one, #gpk = :gpk, #gsk = :gsk' +
          (input.template ? ', template = :template' : '') +
          (input.reasons ? ', reasons = :reasons' : '') +
          ' REMOVE reason',
        ConditionExpression: 'attribute_not_exists(pk) OR #status = :released',
        ExpressionAttributeNames: { '#status': 'status', '#group': 'group', '#gpk': TABLE.gsi1PartitionKey, '#gsk': TABLE.gsi1SortKey },
        ExpressionAttributeValues: {
          ':status': input.status,
          ':released': 'released',
          ':claim': input.claimId,
          ':campaign': input.campaignId,
          ':customer': input.customerId,
          ':step': input.stepId,
          ':entry': input.entryId,
          ':variant': input.variant,
          ':group': input.group,
          ':tx': input.transactional,
          ':now': now,
          ':zero': 0,
          ':one': 1,
          ':gpk': campaignLedgerPk(input.campaignId),
          ':gsk': campaignLedgerSk(input.customerId, input.stepId, input.entryId),
          ...(input.template ? { ':template': input.template } : {}),
          ...(input.reasons ? { ':reasons': input.reasons } : {}),
        },
      }),
    );
    return { claimed: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await getLedgerEntry(table, input);
    if (!existing) throw error;
    return { claimed: false, existing };
  }
}

/** Moves a claimed pending entry on; false when the claim is no longer ours (nothing changed). */
async function completeClaim(
  table: string,
  key: LedgerKey,
  claimId: string,
  status: 'sent' | 'failed' | 'released',
  now: Date,
  extra: { messageId?: string; reason?: string },
): Promise<boolean> {
  const sets = ['#status = :status', 'updatedAt = :now'];
  const values: Record<string, unknown> = { ':status': status, ':now': now.toISOString(), ':claim': claimId, ':pending': 'pending' };
  if (status === 'sent') {
    sets.push('sentAt = :now', 'messageId = :mid');
    values[':mid'] = extra.messageId;
  }
  if (extra.reason !== undefined) {
    sets.push('reason = :reason');
    values[':reason'] = extra.reason.slice(0, 500);
  }
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: keyOf(key),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'claimId = :claim AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export const markLedgerSent = (table: string, key: LedgerKey, claimId: string, messageId: string, now: Date): Promise<boolean> =>
  completeClaim(table, key, claimId, 'sent', now, { messageId });
export const markLedgerFailed = (table: string, key: LedgerKey, claimId: string, reason: string, now: Date): Promise<boolean> =>
  completeClaim(table, key, claimId, 'failed', now, { reason });
/** SES definitely did not accept the message: a later attempt may claim and send it. */
export const releaseLedgerEntry = (table: string, key: LedgerKey, claimId: string, reason: string, now: Date): Promise<boolean> =>
  completeClaim(table, key, claimId, 'released', now, { reason });

export async function getLedgerEntry(table: string, key: LedgerKey): Promise<LedgerEntry | undefined> {
  const out = await dynamoClient().send(new GetCommand({ TableName: table, Key: keyOf(key), ConsistentRead: true }));
  return out.Item ? toEntry(out.Item) : undefined;
}

/** Every ledger entry of a customer (all campaigns), oldest key first. */
export async function customerLedger(table: string, customerId: string): Promise<LedgerEntry[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':p': SEND_SK_PREFIX },
    ConsistentRead: true,
  });
  return items.map(toEntry);
}

/**
 * Emails that count toward the frequency cap: non-transactional entries sent (or pending: maybe
 * sent) at or after `since`. Holdout, failed and released entries sent nothing.
 */
export async function recentSends(table: string, customerId: string, since: Date): Promise<LedgerEntry[]> {
  return sendsSince(await customerLedger(table, customerId), since);
}

/** recentSends over entries already read. */
export function sendsSince(entries: readonly LedgerEntry[], since: Date): LedgerEntry[] {
  const from = since.toISOString();
  return entries.filter((e) => !e.transactional && (e.status === 'sent' || e.status === 'pending') && (e.sentAt ?? e.createdAt) >= from);
}

/** Every ledger entry of a campaign (gsi1: eventually consistent), for outcomes and reconciliation. */
export async function campaignLedger(table: string, campaignId: string): Promise<LedgerEntry[]> {
  const items = await queryGsi1Partition(table, campaignLedgerPk(campaignId));
  return items.map(toEntry);
}

/** The reconciler's report: entries still pending after `olderThan` (a crash between claim and SES's answer). */
export async function pendingEntries(table: string, campaignId: string, olderThan: Date): Promise<LedgerEntry[]> {
  const limit = olderThan.toISOString();
  return (await campaignLedger(table, campaignId)).filter((e) => e.status === 'pending' && e.updatedAt < limit);
}
