import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/commons/clients.js';
import { connectToRunningStack } from '../../scripts/local/stack.js';
import { startWinbackUp, type RunningWinbackUp } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp-dirs.js';

/**
 * Issue 12's acceptance line: `kill -9` of `winback up` while 20,000 events are being posted,
 * then a restart on the same data dir: every event answered 2xx is stored, exactly once. (Before
 * the queue journal, 10,000 answered 200 left 509 stored.)
 */

const dataDir = useTempDir('winback-durable-');
const EVENTS = 20_000;
const PER_REQUEST = 10;
const CONCURRENCY = 24;
/** Acknowledged events after which the whole process group is killed: well inside the stream. */
const KILL_AFTER = 8_000;

const startUp = (): Promise<RunningWinbackUp> => startWinbackUp(dataDir, { detached: true });

/** Posts every event in /v1/batch requests until `stopped()`; returns the event numbers answered 2xx. */
async function postEvents(running: RunningWinbackUp, onAcked: (acked: number) => void, stopped: () => boolean): Promise<{ acked: Set<number>; unanswered: number }> {
  const headers = { authorization: `Basic ${Buffer.from(`${running.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' };
  const acked = new Set<number>();
  let next = 0;
  let unanswered = 0;
  const worker = async (): Promise<void> => {
    while (!stopped() && next < EVENTS) {
      const first = next;
      next += PER_REQUEST;
      const numbers = Array.from({ length: PER_REQUEST }, (_, i) => first + i);
      const batch = numbers.map((n) => ({ type: 'track', userId: `d${n % 300}`, event: 'Durable', messageId: `durable-${n}`, properties: { n } }));
      try {
        const res = await fetch(`${running.apiUrl}/v1/batch`, { method: 'POST', headers, body: JSON.stringify({ batch }) });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) {
          for (const n of numbers) acked.add(n);
          onAcked(acked.size);
        } else unanswered += PER_REQUEST;
      } catch {
        // The connection died with the process: no answer, no promise made.
        unanswered += PER_REQUEST;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { acked, unanswered };
}

/** How many times each event number is stored (any item under E#, whatever its customer). */
async function storedCounts(tableName: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#p',
        FilterExpression: 'begins_with(sk, :e)',
        ExpressionAttributeNames: { '#p': 'properties' },
        ExpressionAttributeValues: { ':e': 'E#' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) {
      const n = (item['properties'] as { n?: unknown } | undefined)?.n;
      if (typeof n === 'number') counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return counts;
}

describe('durable local ingest', () => {
  it('kill -9 of `winback up` mid-stream, then a restart: every event answered 2xx is stored exactly once', { timeout: 150_000 }, async () => {
    // Prepare
    const first = await startUp();
    let second: RunningWinbackUp | undefined;
    let killed = false;
    try {
      // Act: kill the whole process group while requests are in flight
      const posting = postEvents(
        first,
        (acked) => {
          if (!killed && acked >= KILL_AFTER) {
            killed = true;
            process.kill(-first.up.child.pid!, 'SIGKILL');
          }
        },
        () => killed,
      );
      const { acked, unanswered } = await posting;
      await first.up.exited;
      second = await startUp();
      const stack = await connectToRunningStack(dataDir);
      await stack.drain({ timeoutMs: 90_000 });
      const counts = await storedCounts(stack.tableName);
      second.up.child.kill('SIGINT');
      const code = await second.up.exited;
      // Assess
      expect(first.up.child.signalCode).toBe('SIGKILL');
      expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(acked.size).toBeLessThan(EVENTS);
      expect(unanswered + acked.size).toBeLessThanOrEqual(EVENTS);
      const missing = [...acked].filter((n) => !counts.has(n));
      const duplicated = [...counts].filter(([, times]) => times !== 1).map(([n]) => n);
      const storedAcked = [...acked].filter((n) => counts.get(n) === 1).length;
      expect(missing).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(storedAcked).toBe(acked.size);
      // Events never answered may or may not be stored, but nothing that was not posted is.
      expect([...counts.keys()].every((n) => Number.isInteger(n) && n >= 0 && n < EVENTS)).toBe(true);
      expect(code).toBe(0);
    } finally {
      if (first.up.child.exitCode === null && first.up.child.signalCode === null) process.kill(-first.up.child.pid!, 'SIGKILL');
      if (second && second.up.child.exitCode === null) process.kill(-second.up.child.pid!, 'SIGKILL');
    }
  });
});
