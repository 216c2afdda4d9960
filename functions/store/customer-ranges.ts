import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';
import { customersShardPk } from './keys.js';
import { queryAll } from './query.js';

/**
 * The customer registry (gsi1 partitions `CUSTOMERS#00`..`15`, sort key = customer id) read in
 * ranges, for the distributed jobs: a planner pages through the ids of a shard (keys only, a
 * page at a time, nothing held beyond the page) and cuts them into ranges; a worker reads back
 * exactly one range with a key condition. No process lists the whole population at once.
 */
export async function* customerIdPages(table: string, shard: number): AsyncGenerator<string[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new QueryCommand({
        TableName: table,
        IndexName: TABLE.gsi1,
        KeyConditionExpression: '#pk = :pk',
        ProjectionExpression: '#sk',
        ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey, '#sk': TABLE.gsi1SortKey },
        ExpressionAttributeValues: { ':pk': customersShardPk(shard) },
        ExclusiveStartKey: start,
      }),
    );
    const ids = (out.Items ?? []).map((i) => String(i[TABLE.gsi1SortKey]));
    if (ids.length > 0) yield ids;
    start = out.LastEvaluatedKey;
  } while (start);
}

/** Customer ids of one shard after `after` (exclusive; from the start if absent) up to `last` (inclusive), in id order. */
export async function customerIdsInRange(table: string, shard: number, after: string | undefined, last: string): Promise<string[]> {
  const items = await queryAll({
    TableName: table,
    IndexName: TABLE.gsi1,
    KeyConditionExpression: after === undefined ? '#pk = :pk AND #sk <= :last' : '#pk = :pk AND #sk BETWEEN :after AND :last',
    ProjectionExpression: '#sk',
    ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey, '#sk': TABLE.gsi1SortKey },
    ExpressionAttributeValues: { ':pk': customersShardPk(shard), ':last': last, ...(after === undefined ? {} : { ':after': after }) },
  });
  return items.map((i) => String(i[TABLE.gsi1SortKey])).filter((id) => after === undefined || id > after);
}
