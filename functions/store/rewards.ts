import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../kernel/settings.js';
import { dynamoClient } from '../commons/clients.js';
import type { Item } from './batch.js';
import { COUPON_SK, couponPk, customerPk, pointsSk, POINTS_SK_PREFIX } from './keys.js';
import { queryPrefix } from './query.js';

/**
 * Rewards in the table: coupons (`COUPON#<code>` / `COUPON`, written once with a conditional
 * put, redeemed once with a conditional update) and the points ledger (`C#<id>` / `PTS#<entryId>`,
 * one item per credit or debit).
 */
export interface Coupon {
  readonly code: string;
  readonly campaignId: string;
  readonly customerId: string;
  readonly entryId: string;
  readonly percentOff?: number;
  readonly amountOff?: number;
  readonly currency?: string;
  readonly issuedAt: string;
  /** Last moment the code is valid, ISO UTC. */
  readonly validUntil: string;
  readonly redeemedAt?: string;
  readonly orderId?: string;
}

function toCoupon(item: Item): Coupon {
  return {
    code: String(item['code']),
    campaignId: String(item['campaignId']),
    customerId: String(item['customerId']),
    entryId: String(item['entryId']),
    ...(typeof item['percentOff'] === 'number' ? { percentOff: item['percentOff'] } : {}),
    ...(typeof item['amountOff'] === 'number' ? { amountOff: item['amountOff'] } : {}),
    ...(typeof item['currency'] === 'string' ? { currency: item['currency'] } : {}),
    issuedAt: String(item['issuedAt']),
    validUntil: String(item['validUntil']),
    ...(typeof item['redeemedAt'] === 'string' ? { redeemedAt: item['redeemedAt'] } : {}),
    ...(typeof item['orderId'] === 'string' ? { orderId: item['orderId'] } : {}),
  };
}

/** Writes a new coupon; false when its code is already taken (by this entry on a retry, or another). */
export async function insertCoupon(table: string, coupon: Coupon, expiresAt: Date): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: couponPk(coupon.code), sk: COUPON_SK, ...coupon, [TABLE.ttlAttribute]: Math.floor(expiresAt.getTime() / 1000) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The coupon stored under an already normalised code. */
export async function readCoupon(table: string, code: string): Promise<Coupon | undefined> {
  const out = await dynamoClient().send(new GetCommand({ TableName: table, Key: { pk: couponPk(code), sk: COUPON_SK }, ConsistentRead: true }));
  return out.Item ? toCoupon(out.Item) : undefined;
}

/** Marks an unredeemed, unexpired coupon redeemed by an order; undefined when the coupon is not all three. */
export async function markCouponRedeemed(table: string, code: string, orderId: string, now: Date): Promise<Coupon | undefined> {
  try {
    const out = await dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: couponPk(code), sk: COUPON_SK },
        UpdateExpression: 'SET redeemedAt = :now, orderId = :order',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(redeemedAt) AND validUntil >= :now',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':order': orderId },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toCoupon(out.Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export interface PointsEntry {
  readonly customerId: string;
  readonly entryId: string;
  readonly amount: number;
  readonly at: string;
  readonly campaignId?: string;
  readonly reason?: string;
}

/** Adds one ledger line, once per entry id: false when that entry is already in the ledger. */
export async function insertPointsEntry(table: string, entry: PointsEntry): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: customerPk(entry.customerId), sk: pointsSk(entry.entryId), ...entry },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Sum of the customer's points ledger (a Query over `PTS#` items). */
export async function pointsBalance(table: string, customerId: string): Promise<number> {
  const items = await queryPrefix(table, customerPk(customerId), POINTS_SK_PREFIX, { consistent: true, projection: 'amount' });
  return items.reduce((sum, i) => sum + (typeof i['amount'] === 'number' ? i['amount'] : 0), 0);
}
