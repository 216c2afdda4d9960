import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { batchGet } from './batch.js';
import { EXTERNAL_LINK_SK, externalIdPk } from './keys.js';

/**
 * Links from an id another system gives a customer (e.g. `shopify:<shop>:<customer id>`) to the
 * winback customer id it was resolved to. A link is written once and never changed (conditional
 * put, first writer wins), so every later event of that external id, redeliveries included,
 * lands on the same customer however the email index changes afterwards.
 */
export async function readExternalLinks(table: string, externalIds: readonly string[]): Promise<Map<string, string>> {
  if (externalIds.length === 0) return new Map();
  const items = await batchGet(table, externalIds.map((id) => ({ pk: externalIdPk(id), sk: EXTERNAL_LINK_SK })));
  return new Map(items.map((i) => [String(i['externalId']), String(i['customerId'])]));
}

/** Links `externalId` to `customerId` unless it is linked already; answers the customer it is linked to. */
export async function linkExternalId(table: string, externalId: string, customerId: string): Promise<string> {
  const key = { pk: externalIdPk(externalId), sk: EXTERNAL_LINK_SK };
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { ...key, externalId, customerId },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return customerId;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await dynamoClient().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return String(existing.Item?.['customerId'] ?? customerId);
  }
}
