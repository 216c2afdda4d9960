import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { campaignPk } from './keys.js';

/**
 * A campaign's incentive budget per period: `CAMPAIGN#<id>` / `BUDGET#<period>` holds the amount
 * committed so far (integer minor units) and the set of commitments already counted.
 *
 * Exactly once without transactions (dynalite has none): one conditional UpdateItem adds the
 * amount AND the commitment's id to the set, on the condition that the id is not in the set yet
 * and that the sum stays within the cap. A retried or duplicated commitment fails the condition
 * on the id and is answered from the stored item as already counted; a commitment that would
 * overspend fails it on the sum and is refused. Both parts of the condition are checked on the
 * same item in one write, so concurrent commitments serialise on it and the cap is never crossed.
 *
 * The set holds a 16-hex-digit hash of each commitment id (the journey's execution name): about
 * 20,000 commitments fit in one period's item (DynamoDB's 400 KB). No customer id is stored.
 */
export interface BudgetReservation {
  readonly reserved: boolean;
  /** True when this commitment had been counted before (a retry): nothing was added. */
  readonly duplicate: boolean;
  /** Committed in the period after this call, minor units. */
  readonly spentMinor: number;
}

export const budgetSk = (period: string): string => `BUDGET#${period}`;
const commitmentHash = (id: string): string => createHash('sha256').update(id).digest('hex').slice(0, 16);

export interface BudgetState {
  readonly spentMinor: number;
  readonly commitments: number;
}

export async function getBudget(table: string, campaignId: string, period: string): Promise<BudgetState> {
  const out = await dynamoClient().send(new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: budgetSk(period) }, ConsistentRead: true }));
  const item = out.Item;
  const applied = item?.['applied'] as Set<string> | undefined;
  return { spentMinor: typeof item?.['spentMinor'] === 'number' ? item['spentMinor'] : 0, commitments: applied?.size ?? 0 };
}

/**
 * Commits `amountMinor` of the period's `capMinor` for commitment `commitmentId`, at most once.
 * A zero amount commits nothing and always succeeds.
 */
export async function reserveBudget(
  table: string,
  input: { readonly campaignId: string; readonly period: string; readonly commitmentId: string; readonly amountMinor: number; readonly capMinor: number; readonly now: Date },
): Promise<BudgetReservation> {
  const key = { pk: campaignPk(input.campaignId), sk: budgetSk(input.period) };
  const id = commitmentHash(input.commitmentId);
  if (input.amountMinor <= 0) return { reserved: true, duplicate: false, spentMinor: (await getBudget(table, input.campaignId, input.period)).spentMinor };
  // The condition below lets a first commitment through whatever its size: one larger than the cap never may.
  if (input.amountMinor > input.capMinor) return { reserved: false, duplicate: false, spentMinor: (await getBudget(table, input.campaignId, input.period)).spentMinor };
  try {
    const out = await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET spentMinor = if_not_exists(spentMinor, :zero) + :amount, capMinor = :cap, campaignId = :campaign, period = :period, updatedAt = :now ADD applied :ids',
        ConditionExpression: '(attribute_not_exists(spentMinor) OR spentMinor <= :limit) AND (attribute_not_exists(applied) OR NOT contains(applied, :id))',
        ExpressionAttributeValues: {
          ':zero': 0,
          ':amount': input.amountMinor,
          ':cap': input.capMinor,
          ':limit': input.capMinor - input.amountMinor,
          ':campaign': input.campaignId,
          ':period': input.period,
          ':now': input.now.toISOString(),
          ':ids': new Set([id]),
          ':id': id,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { reserved: true, duplicate: false, spentMinor: Number(out.Attributes?.['spentMinor'] ?? input.amountMinor) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const stored = await dynamoClient().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    const spentMinor = typeof stored.Item?.['spentMinor'] === 'number' ? stored.Item['spentMinor'] : 0;
    const applied = stored.Item?.['applied'] as Set<string> | undefined;
    if (applied?.has(id)) return { reserved: true, duplicate: true, spentMinor };
    return { reserved: false, duplicate: false, spentMinor };
  }
}
