import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { campaignPk, runSk } from './keys.js';

/**
 * A fan-out run's record (`CAMPAIGN#<id>` / run sort key): the slots it reserved against the
 * campaign's send limit, its totals when it finished, and a `#FAILED` sibling when it failed.
 */
export interface RunTotals {
  readonly started: number;
  readonly duplicates: number;
  readonly excluded: number;
  readonly excludedBy: Record<string, number>;
}

/** Reserves one of the run's `limit` slots (atomic counter); false when the run is full. */
export async function reserveRunSlot(table: string, campaignId: string, runId: string, limit: number): Promise<boolean> {
  try {
    await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: campaignPk(campaignId), sk: runSk(runId) },
        UpdateExpression: 'ADD reserved :one',
        ConditionExpression: 'attribute_not_exists(reserved) OR reserved < :limit',
        ExpressionAttributeValues: { ':one': 1, ':limit': limit },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export async function saveRunTotals(table: string, campaignId: string, runId: string, totals: RunTotals, now: Date): Promise<void> {
  await dynamoClient().send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: campaignPk(campaignId), sk: runSk(runId) },
      UpdateExpression: 'SET started = :s, duplicates = :d, excluded = :e, excludedBy = :b, finishedAt = :t',
      ExpressionAttributeValues: {
        ':s': totals.started,
        ':d': totals.duplicates,
        ':e': totals.excluded,
        ':b': totals.excludedBy,
        ':t': now.toISOString(),
      },
    }),
  );
}

export async function saveRunFailure(table: string, campaignId: string, runId: string, error: string, now: Date): Promise<void> {
  await dynamoClient().send(
    new PutCommand({
      TableName: table,
      Item: { pk: campaignPk(campaignId), sk: `${runSk(runId)}#FAILED`, error, failedAt: now.toISOString() },
    }),
  );
}
