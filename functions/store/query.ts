import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';
import type { Item } from './batch.js';

/** Every item a Query matches, following LastEvaluatedKey page by page. */
export async function queryAll(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of one partition of the gsi1 index (audiences, crossings, ledgers, the customer registry). */
export function queryGsi1Partition(table: string, partition: string): Promise<Item[]> {
  return queryAll({
    TableName: table,
    IndexName: TABLE.gsi1,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey },
    ExpressionAttributeValues: { ':pk': partition },
  });
}

/** Every item of one partition whose sort key starts with `prefix`. */
export function queryPrefix(table: string, pk: string, prefix: string, opts: { consistent?: boolean; projection?: string } = {}): Promise<Item[]> {
  return queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
    ...(opts.projection ? { ProjectionExpression: opts.projection } : {}),
    ...(opts.consistent ? { ConsistentRead: true } : {}),
  });
}
