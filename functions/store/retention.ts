import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../kernel/settings.js';
import { dynamoClient } from '../commons/clients.js';
import { batchWrite } from './batch.js';

/**
 * Retention where DynamoDB's TTL does not run (dynalite ignores it): deletes every item whose TTL
 * attribute (`expiresAt`, epoch seconds: events after EVENT_RETENTION_DAYS, coupons after their
 * expiry) is in the past, as DynamoDB's TTL would. In AWS the table's TTL does this (set in
 * infra/constructs/event-store.ts) and this is never called. Idempotent; returns how many went.
 */
export async function sweepExpiredItems(table: string, now: Date): Promise<number> {
  const cutoff = Math.floor(now.getTime() / 1000);
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'pk, sk',
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: { ':now': cutoff },
        ExclusiveStartKey: start,
      }),
    );
    const keys = (out.Items ?? []).map((i) => ({ DeleteRequest: { Key: { pk: String(i['pk']), sk: String(i['sk']) } } }));
    await batchWrite(table, keys);
    deleted += keys.length;
    start = out.LastEvaluatedKey;
  } while (start);
  return deleted;
}
