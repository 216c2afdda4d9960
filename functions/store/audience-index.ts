import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../kernel/settings.js';
import { dynamoClient } from '../commons/clients.js';
import type { AudienceSource } from '../journeys/journey-state.js';
import type { Item } from './batch.js';
import { customersShardPk, tierAudiencePk } from './keys.js';

/**
 * Pages of the gsi1 partitions an audience is read from: the audience index scoring writes
 * (`TIER#<tier>`, sorted by churn band, so a tier + churn range is one Query) or a customer
 * registry shard (`CUSTOMERS#00..15`). The cursor is the page's LastEvaluatedKey, opaque to callers.
 */
export interface IndexPage {
  readonly items: Item[];
  readonly cursor?: string;
}

const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
const decodeCursor = (cursor: string | undefined): Record<string, unknown> | undefined =>
  cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>) : undefined;

export async function audienceIndexPage(table: string, source: AudienceSource, opts: { cursor?: string; limit: number }): Promise<IndexPage> {
  const exclusiveStartKey = decodeCursor(opts.cursor);
  const base = { TableName: table, IndexName: TABLE.gsi1, Limit: opts.limit, ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}) };
  const out = await dynamoClient().send(
    new QueryCommand(
      source.kind === 'tier'
        ? {
            ...base,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey, '#sk': TABLE.gsi1SortKey },
            ExpressionAttributeValues: { ':pk': tierAudiencePk(source.tier), ':lo': `${source.minBand}#`, ':hi': `${source.maxBand}#~` },
            // Riskiest first: with a send limit per run, the highest churn bands are served first.
            ScanIndexForward: false,
          }
        : {
            ...base,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey },
            ExpressionAttributeValues: { ':pk': customersShardPk(source.shard) },
          },
    ),
  );
  const cursor = encodeCursor(out.LastEvaluatedKey);
  return { items: (out.Items ?? []) as Item[], ...(cursor ? { cursor } : {}) };
}
