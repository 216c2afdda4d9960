import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { queryAll } from '../store/profiles.js';
import { activeJourneySk, campaignPk, ENTRY_SK_PREFIX, entryCustomerPrefix, entrySk } from '../store/keys.js';
import type { Group } from '../campaigns/assignment.js';
import type { Outcome, TriggerType } from './journey-state.js';

/**
 * Journey entries (`CAMPAIGN#<id>` / `ENTRY#<customer>#<trigger>`): who entered a campaign, when,
 * in which group and variant, and how the journey ended. They are the report's denominator
 * (entered, treatment vs holdout) and the re-entry rule's memory. One item per journey, created
 * with a conditional put by LoadCampaign, closed by Exit/Converted/Completed or RecordFailure.
 */
export type EntryStatus = 'active' | Outcome;

export interface EntryRecord {
  readonly campaignId: string;
  readonly customerId: string;
  readonly triggerId: string;
  readonly triggerType: TriggerType;
  readonly executionName: string;
  readonly group: Group;
  readonly variant: string;
  /** Journey time of entry (the attribution window starts here, for both groups). */
  readonly enteredAt: string;
  readonly status: EntryStatus;
  readonly reason?: string;
  readonly error?: string;
  readonly endedAt?: string;
  readonly sends?: number;
}

export async function createEntry(table: string, entry: EntryRecord): Promise<{ created: boolean; entry: EntryRecord }> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: campaignPk(entry.campaignId), sk: entrySk(entry.customerId, entry.triggerId), ...entry },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { created: true, entry };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await getEntry(table, entry.campaignId, entry.customerId, entry.triggerId);
    if (!existing) throw error;
    return { created: false, entry: existing };
  }
}

/**
 * Claims the customer's single active journey in a campaign (conditional put): true when free or
 * already held by this trigger (a retry). Two triggers racing for the same customer cannot both
 * enter, which a read-then-write re-entry check alone would allow.
 */
export async function claimActiveJourney(table: string, campaignId: string, customerId: string, triggerId: string): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: campaignPk(campaignId), sk: activeJourneySk(customerId), customerId, triggerId, active: true },
        ConditionExpression: 'attribute_not_exists(pk) OR active = :f OR triggerId = :t',
        ExpressionAttributeValues: { ':f': false, ':t': triggerId },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

async function releaseActiveJourney(table: string, campaignId: string, customerId: string, triggerId: string): Promise<void> {
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: campaignPk(campaignId), sk: activeJourneySk(customerId) },
        UpdateExpression: 'SET active = :f',
        ConditionExpression: 'triggerId = :t',
        ExpressionAttributeValues: { ':f': false, ':t': triggerId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function getEntry(table: string, campaignId: string, customerId: string, triggerId: string): Promise<EntryRecord | undefined> {
  const out = await dynamoClient().send(
    new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: entrySk(customerId, triggerId) }, ConsistentRead: true }),
  );
  return out.Item ? toEntry(out.Item) : undefined;
}

/** Closes an entry; only an active entry changes (a retried finish, or a finish after a failure record, is a no-op). */
export async function closeEntry(
  table: string,
  key: { campaignId: string; customerId: string; triggerId: string },
  close: { status: Outcome; at: string; reason?: string; error?: string; sends?: number },
): Promise<void> {
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: campaignPk(key.campaignId), sk: entrySk(key.customerId, key.triggerId) },
        UpdateExpression: 'SET #s = :s, endedAt = :at, reason = :r, #e = :e, sends = :n',
        ConditionExpression: '#s = :active',
        ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
        ExpressionAttributeValues: {
          ':s': close.status,
          ':at': close.at,
          ':r': close.reason ?? null,
          ':e': close.error ?? null,
          ':n': close.sends ?? 0,
          ':active': 'active',
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  await releaseActiveJourney(table, key.campaignId, key.customerId, key.triggerId);
}

export async function listEntries(table: string, campaignId: string): Promise<EntryRecord[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': campaignPk(campaignId), ':p': ENTRY_SK_PREFIX },
  });
  return items.map(toEntry);
}

/** A customer's entries of one campaign (re-entry rule), oldest first. */
export async function customerEntries(table: string, campaignId: string, customerId: string): Promise<EntryRecord[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': campaignPk(campaignId), ':p': entryCustomerPrefix(customerId) },
    ConsistentRead: true,
  });
  return items.map(toEntry).sort((a, b) => (a.enteredAt < b.enteredAt ? -1 : 1));
}

function toEntry(item: Record<string, unknown>): EntryRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  const clean = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  return clean as unknown as EntryRecord;
}

export type ReentryDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * The re-entry rule: a customer with an active journey never enters again; one who finished a
 * journey enters again only if the campaign allows it and the cooldown has passed.
 */
export function reentryDecision(
  previous: readonly EntryRecord[],
  rule: { readonly allowed: boolean; readonly cooldown: number },
  now: Date,
  triggerId: string,
): ReentryDecision {
  const others = previous.filter((e) => e.triggerId !== triggerId);
  if (others.length === 0) return { allowed: true };
  if (others.some((e) => e.status === 'active')) return { allowed: false, reason: 'already-in-journey' };
  if (!rule.allowed) return { allowed: false, reason: 'reentry-not-allowed' };
  const last = others[others.length - 1]!;
  if (Date.parse(last.enteredAt) + rule.cooldown > now.getTime()) return { allowed: false, reason: 'reentry-cooldown' };
  return { allowed: true };
}
