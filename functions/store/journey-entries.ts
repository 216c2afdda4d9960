import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { queryPrefix } from './query.js';
import { activeJourneySk, campaignPk, ENTRY_SK_PREFIX, entryCustomerPrefix, entrySk } from './keys.js';
import type { Group } from '../campaigns/assignment.js';
import type { Outcome, TriggerType } from '../journeys/journey-state.js';

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
  return (await queryPrefix(table, campaignPk(campaignId), ENTRY_SK_PREFIX)).map(toEntry);
}

/** A customer's entries of one campaign (re-entry rule), oldest first. */
export async function customerEntries(table: string, campaignId: string, customerId: string): Promise<EntryRecord[]> {
  const items = await queryPrefix(table, campaignPk(campaignId), entryCustomerPrefix(customerId), { consistent: true });
  return items.map(toEntry).sort((a, b) => (a.enteredAt < b.enteredAt ? -1 : 1));
}

function toEntry(item: Record<string, unknown>): EntryRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  const clean = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  return clean as unknown as EntryRecord;
}
