import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { customerPk } from './keys.js';
import { queryAll } from './query.js';

/**
 * Arbitration decisions: when several targeted campaigns want the same customer, the one with the
 * highest expected incremental value wins. The winner's ledger entries carry the decision in their
 * reasons; each run of a campaign that lost the customer keeps this record, in the customer's
 * partition (so `customers show` and erasure find it):
 *
 *   pk C#<customerId>, sk ARB#<campaignId>#<runId>
 *
 * The decision is a function of the scores and the campaign definitions, so a retried page writes
 * the same item again (a plain put is idempotent here). No `tsk`: it stays out of the event index.
 */
export const ARBITRATION_SK_PREFIX = 'ARB#';

export interface ArbitrationRecord {
  readonly customerId: string;
  /** The campaign whose run lost the customer. */
  readonly campaignId: string;
  readonly runId: string;
  /** Its expected incremental value for the customer. */
  readonly value: number;
  readonly winner: { readonly campaignId: string; readonly value: number };
  readonly runnerUp?: { readonly campaignId: string; readonly value: number };
  readonly at: string;
}

export async function putArbitrationRecord(table: string, record: ArbitrationRecord): Promise<void> {
  await dynamoClient().send(
    new PutCommand({
      TableName: table,
      Item: { pk: customerPk(record.customerId), sk: `${ARBITRATION_SK_PREFIX}${record.campaignId}#${record.runId}`, ...record },
    }),
  );
}

export async function customerArbitrations(table: string, customerId: string): Promise<ArbitrationRecord[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':p': ARBITRATION_SK_PREFIX },
    ConsistentRead: true,
  });
  return items.map((i) => ({
    customerId: String(i['customerId']),
    campaignId: String(i['campaignId']),
    runId: String(i['runId']),
    value: Number(i['value']),
    winner: i['winner'] as ArbitrationRecord['winner'],
    ...(i['runnerUp'] ? { runnerUp: i['runnerUp'] as NonNullable<ArbitrationRecord['runnerUp']> } : {}),
    at: String(i['at']),
  }));
}
