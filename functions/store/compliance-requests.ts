import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { dynamoClient } from '../commons/clients.js';
import { queryAll } from './query.js';
import { COMPLIANCE_PK, complianceSk } from './keys.js';

/**
 * Data-subject requests received from a shop platform (Shopify's mandatory compliance webhooks),
 * recorded for the erasure feature to act on: one item per request, keyed by the platform's own
 * request identity, so a redelivery finds the item already there and leaves it (and whatever
 * status erasure has given it) unchanged. The email is kept because erasure needs it (email
 * index, suppression list); the item goes when the request has been carried out.
 */
export const ComplianceRequest = z.object({
  source: z.literal('shopify'),
  /** customers/data_request | customers/redact | shop/redact */
  topic: z.string().min(1),
  shop: z.string().min(1),
  /** The request's identity at the platform (e.g. `customers/redact:<customer id>`). */
  requestKey: z.string().min(1),
  receivedAt: z.string(),
  webhookId: z.string(),
  shopifyCustomerId: z.string().optional(),
  email: z.string().optional(),
  orderIds: z.array(z.string()).default([]),
  dataRequestId: z.string().optional(),
});
export type ComplianceRequest = z.infer<typeof ComplianceRequest>;

export interface StoredComplianceRequest extends ComplianceRequest {
  /** The winback customers the request concerned when it arrived (linked id, then the email index). */
  readonly customerIds: readonly string[];
  /** `pending` until erasure (a later feature) carries it out. */
  readonly status: string;
}

export async function recordComplianceRequest(table: string, request: ComplianceRequest, customerIds: readonly string[]): Promise<void> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: COMPLIANCE_PK, sk: complianceSk(request.source, request.shop, request.requestKey), ...request, customerIds, status: 'pending' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    // Recorded already (a redelivery, or Shopify repeating the request): the first record stands.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function listComplianceRequests(table: string): Promise<StoredComplianceRequest[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': COMPLIANCE_PK },
    ConsistentRead: true,
  });
  return items.map(({ pk: _pk, sk: _sk, ...rest }) => rest as StoredComplianceRequest);
}
