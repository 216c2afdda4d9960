import { BatchWriteCommand, BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { mapLimited } from '../commons/concurrency.js';
import { RetryableError } from '../../kernel/errors.js';

export type Item = Record<string, NativeAttributeValue>;
export type Key = { pk: string; sk: string };
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET = 100;
const MAX_ATTEMPTS = 8;
const CONCURRENCY = 4;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Full-jitter exponential backoff (AWS Architecture Blog), capped at 2 s. */
const backoff = (attempt: number): number => Math.random() * Math.min(2000, 25 * 2 ** attempt);

const keyOf = (r: WriteRequest): string => {
  const k = 'PutRequest' in r ? r.PutRequest.Item : r.DeleteRequest.Key;
  return `${String(k['pk'])}\u0000${String(k['sk'])}`;
};

export function runLimited<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  return mapLimited(tasks, limit, (task) => task());
}

/**
 * BatchWriteItem in chunks of 25, a few in flight, retrying UnprocessedItems with backoff.
 * Requests for the same key are collapsed (last wins) because DynamoDB rejects duplicates in one batch.
 */
export async function batchWrite(table: string, requests: readonly WriteRequest[]): Promise<void> {
  const unique = [...new Map(requests.map((r) => [keyOf(r), r])).values()];
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < unique.length; i += MAX_BATCH_WRITE) chunks.push(unique.slice(i, i + MAX_BATCH_WRITE));
  await runLimited(
    chunks.map((chunk) => async () => {
      let pending: WriteRequest[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) {
          throw new RetryableError(`${pending.length} writes still unprocessed after ${MAX_ATTEMPTS} attempts`);
        }
        if (attempt > 0) await sleep(backoff(attempt));
        const out = await dynamoClient().send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }),
    CONCURRENCY,
  );
}

/** BatchGetItem in chunks of 100 with UnprocessedKeys retried; consistent reads by default. */
export async function batchGet(table: string, keys: readonly Key[], consistent = true): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  const chunks: Key[][] = [];
  for (let i = 0; i < unique.length; i += MAX_BATCH_GET) chunks.push(unique.slice(i, i + MAX_BATCH_GET));
  const results = await runLimited(
    chunks.map((chunk) => async () => {
      const found: Item[] = [];
      let pending: Key[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new RetryableError(`${pending.length} reads still unprocessed`);
        if (attempt > 0) await sleep(backoff(attempt));
        const out = await dynamoClient().send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistent } } }),
        );
        found.push(...((out.Responses?.[table] ?? []) as Item[]));
        pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
      }
      return found;
    }),
    CONCURRENCY,
  );
  return results.flat();
}
