import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { COMPLIANCE_PK, complianceSk } from './keys.js';
import { privacyHash } from './privacy-hash.js';
import { COMPLIANCE_DONE_PK } from './privacy-keys.js';
import type { ComplianceRequest } from './compliance-requests.js';

/**
 * A carried-out compliance request leaves a receipt without personal data (the request's keyed
 * hash, its topic and shop, when, how many customers) and its pending record, which held the
 * address and the Shopify ids, goes.
 */

export async function completeComplianceRequest(
  table: string,
  key: string,
  request: Pick<ComplianceRequest, 'source' | 'topic' | 'shop' | 'requestKey'>,
  outcome: { customers: number; at: Date },
): Promise<void> {
  const sk = complianceSk(request.source, request.shop, request.requestKey);
  await dynamoClient().send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: COMPLIANCE_DONE_PK,
        sk: privacyHash(key, 'request', sk),
        topic: request.topic,
        shop: request.shop,
        status: 'erased',
        customers: outcome.customers,
        completedAt: outcome.at.toISOString(),
      },
    }),
  );
  await dynamoClient().send(new DeleteCommand({ TableName: table, Key: { pk: COMPLIANCE_PK, sk } }));
}

/** The winback customers linked to a shop's customer ids (`EXT#shopify:<shop>:…`), for shop/redact. */
export async function customersOfShop(table: string, shop: string): Promise<string[]> {
  const found = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': `EXT#shopify:${shop}:` },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const i of out.Items ?? []) found.add(String(i['customerId']));
    start = out.LastEvaluatedKey;
  } while (start);
  return [...found].sort();
}
