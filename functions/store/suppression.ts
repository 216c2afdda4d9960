import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { batchGet } from './batch.js';
import { normalizeEmail } from '../../kernel/ids.js';
import { ConfigError } from '../../kernel/errors.js';
import { unsubscribeSecret } from '../campaigns/secrets.js';
import { suppressionPk, suppressionSk } from './keys.js';
import { privacyKey } from './privacy-hash.js';
import { hashedSuppressionKey } from './suppression-hashes.js';

/**
 * The suppression list, one item per (address, reason). The earliest event per reason wins
 * (conditional put), so repeated or reordered bounces converge to the same item.
 */
export type SuppressionReason = 'bounce' | 'complaint' | 'unsubscribe' | 'manual';

export interface SuppressionEntry {
  readonly reason: SuppressionReason;
  readonly at: string;
  readonly eventId: string;
  readonly detail?: string;
}

export async function suppress(
  table: string,
  email: string,
  entry: SuppressionEntry,
): Promise<void> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: suppressionPk(normalizeEmail(email)), sk: suppressionSk(entry.reason), ...entry },
        ConditionExpression: 'attribute_not_exists(pk) OR #at > :at OR (#at = :at AND eventId >= :id)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':at': entry.at, ':id': entry.eventId },
      }),
    );
  } catch (error) {
    // An earlier event already suppressed this address for this reason: nothing to change.
    if (error instanceof ConditionalCheckFailedException) return;
    throw error;
  }
}

/**
 * The partition of an address's suppressions kept after an erasure (store/suppression-hashes.ts),
 * when the key is at hand: where no unsubscribe secret is configured no mail can be sent either.
 */
function hashedPartition(email: string): string | undefined {
  try {
    return hashedSuppressionKey(privacyKey(unsubscribeSecret()), email);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

export async function getSuppressions(table: string, email: string): Promise<SuppressionEntry[]> {
  const partitions = [suppressionPk(normalizeEmail(email)), hashedPartition(email)].filter((p): p is string => p !== undefined);
  const pages = await Promise.all(
    partitions.map((pk) =>
      dynamoClient().send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      ),
    ),
  );
  return pages.flatMap((out) => out.Items ?? []).map((i) => ({
    reason: i['reason'] as SuppressionReason,
    at: String(i['at']),
    eventId: String(i['eventId']),
    ...(i['detail'] ? { detail: String(i['detail']) } : {}),
  }));
}

const REASONS: readonly SuppressionReason[] = ['bounce', 'complaint', 'unsubscribe', 'manual'];

/**
 * Checked at every send: one BatchGetItem of the address's item per reason in both of its
 * partitions (the plain one, and the one kept under its hash after an erasure) instead of a Query
 * per partition: one call instead of two (on the local emulator about 1.3x the throughput; in AWS
 * 8 read units instead of 2, under $0.01 per 10,000 emails).
 */
export async function isSuppressed(table: string, email: string): Promise<boolean> {
  const partitions = [suppressionPk(normalizeEmail(email)), hashedPartition(email)].filter((p): p is string => p !== undefined);
  const found = await batchGet(table, partitions.flatMap((pk) => REASONS.map((reason) => ({ pk, sk: suppressionSk(reason) }))));
  return found.length > 0;
}

/** Removes the address's suppression for one reason (an opt-in lifts `unsubscribe`, never a bounce or complaint). */
export async function liftSuppression(table: string, email: string, reason: SuppressionReason): Promise<void> {
  // An erased person who opts in again lifts the unsubscribe kept under the address's hash too.
  for (const pk of [suppressionPk(normalizeEmail(email)), hashedPartition(email)]) {
    if (pk !== undefined) await dynamoClient().send(new DeleteCommand({ TableName: table, Key: { pk, sk: suppressionSk(reason) } }));
  }
}
