/**
 * `npm run bench:ingest` — throughput of the ingestion paths on the embedded local stack, each
 * as a ratio to the raw ceiling of the same emulator on the same machine (absolute figures drift
 * on shared machines; ratios do not):
 *   ceiling   BatchWriteItem of pre-built event items (25 per call, as many calls in flight as the handler uses),
 *             measured before and after the two paths; they are compared with the mean
 *   processor SQS batch -> process-events handler -> DynamoDB (messages pre-enqueued, consumers then started)
 *   http      POST /v1/batch (100 events per request) -> SQS -> processor -> DynamoDB
 * Then, unless --no-costs, a metered pass of the same HTTP workload (fresh customers; after the
 * timed passes, so that the meter cannot slow them): the AWS requests it makes per 1,000 events
 * by service (scripts/bench/meter.ts) and what 1 M events cost at list prices (scripts/bench/costs.ts).
 * Usage: npm run bench:ingest -- [--events 50000] [--customers 2000] [--no-costs] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FUNCTION_NAMES, startLocalStack, type LocalStack } from '../local/stack.js';
import { ensureQueuePair, localClientConfig } from '../local/emulators.js';
import { batchWrite, type WriteRequest } from '../../functions/store/batch.js';
import { encodeEnvelopes } from '../../functions/events/envelope.js';
import { normalizeSegment } from '../../functions/events/normalize.js';
import { SegmentMessage } from '../../functions/events/segment-event.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { countEvents, eventItem } from '../../functions/store/events.js';
import { resetConfig } from '../../functions/commons/config.js';
import { startMeteredPass } from './metered-pass.js';
import { costReport, printCostReport, type CostReport } from './cost-report.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    customers: { type: 'string', default: '2000' },
    'no-costs': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const CUSTOMERS = Number(values.customers);
const BATCH = 100;

/** A realistic mix: 80% track, 10% page, 10% identify, spread over the customers. */
function messages(prefix: string): SegmentMessage[] {
  const out: SegmentMessage[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < N; i++) {
    const userId = `${prefix}-c${i % CUSTOMERS}`;
    const base = { userId, messageId: `${prefix}-m${i}`, timestamp: new Date(t0 + i * 1000).toISOString() };
    const r = i % 10;
    out.push(
      SegmentMessage.parse(
        r === 0
          ? { ...base, type: 'identify', traits: { email: `${userId}@example.com`, plan: 'gold' } }
          : r === 1
            ? { ...base, type: 'page', name: 'Home', properties: { path: '/' } }
            : { ...base, type: 'track', event: r % 2 ? 'Product Viewed' : 'Product Added', properties: { sku: `sku-${i % 500}`, price: 12.5 } },
      ),
    );
  }
  return out;
}

const receivedAt = new Date().toISOString();
const toEvents = (ms: SegmentMessage[]): StoredEvent[] => ms.map((m) => normalizeSegment(m, { receivedAt, source: 'bench' }));

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function ceiling(stack: LocalStack, prefix: string): Promise<number> {
  // The very items the processor writes for these events (keys, index attribute, TTL).
  const items: WriteRequest[] = toEvents(messages(prefix)).map((e) => ({ PutRequest: { Item: eventItem(e, 730) } }));
  // Two writers, like the two pollers of the processor path, each with batchWrite's own concurrency.
  const half = Math.ceil(items.length / 2);
  const seconds = await timed(async () => {
    await Promise.all([batchWrite(stack.tableName, items.slice(0, half)), batchWrite(stack.tableName, items.slice(half))]);
  });
  return N / seconds;
}

async function processorPath(stack: LocalStack): Promise<number> {
  const sqs = new SQSClient(localClientConfig(stack.endpoints.sqs));
  const pair = await ensureQueuePair(sqs, { name: 'bench-events', dlqName: 'bench-events-dlq', visibilityTimeoutSeconds: 60 });
  const events = toEvents(messages('proc'));
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += BATCH) bodies.push(...encodeEnvelopes(events.slice(i, i + BATCH)));
  for (let i = 0; i < bodies.length; i += 10) {
    const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: pair.queue.url, Entries: entries }));
    if (out.Failed?.length) throw new Error(`could not enqueue ${out.Failed.length} bench messages`);
  }
  sqs.destroy();
  const { handler } = await import('../../functions/process-events.js');
  const seconds = await timed(async () => {
    stack.runtime.addQueueConsumer({ queue: pair.queue, handler, functionName: 'bench-process-events' });
    await stack.drain({ timeoutMs: 600_000, pollIntervalMs: 50 });
  });
  return N / seconds;
}

/** POST /v1/batch of `all`, 100 events per request, from four concurrent clients (a few web servers running analytics-node). */
async function postBatches(stack: LocalStack, all: readonly SegmentMessage[]): Promise<void> {
  const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < all.length) {
        const batch = all.slice(next, (next += BATCH));
        const res = await fetch(`${stack.apiUrl}/v1/batch`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      }
    }),
  );
}

async function httpPath(stack: LocalStack): Promise<number> {
  const all = messages('http');
  const seconds = await timed(async () => {
    await postBatches(stack, all);
    await stack.drain({ timeoutMs: 600_000, pollIntervalMs: 50 });
  });
  return N / seconds;
}

/**
 * The HTTP workload again, metered: the ingest handler behind a metering API Gateway stand-in,
 * its events queue swapped (EVENTS_QUEUE_URL) for one drained by a metered event source around
 * the process-events handler, and the meter on the handlers' SDK clients. Every request counted
 * is one the deployed pipeline makes per event: API Gateway, ingest Lambda, SQS send, event
 * source receive + delete, processor Lambda, DynamoDB.
 */
async function costPass(stack: LocalStack): Promise<CostReport> {
  const all = messages('cost');
  const processEvents = await import('../../functions/process-events.js');
  const pass = await startMeteredPass(stack, {
    queueName: 'bench-cost-events',
    functionName: FUNCTION_NAMES.processEvents,
    handler: processEvents.handler,
    env: (url) => ({ EVENTS_QUEUE_URL: url }),
  });
  try {
    await postBatches(stack, all);
    await pass.consumer.drain();
  } finally {
    await pass.stop();
  }
  return costReport(pass.meter.snapshot(), { unitsMeasured: N, unitName: 'events', requestsPer: 1000, costPer: 1_000_000 });
}

const dataDir = mkdtempSync(join(tmpdir(), 'winback-bench-'));
const stack = await startLocalStack({ dataDir, port: 0, quiet: true });
try {
  // The ceiling is measured before and after the two paths and they are compared with the mean:
  // on a shared machine the load drifts during a run, and the table grows (LevelDB slows a little).
  const rawBefore = await ceiling(stack, 'raw');
  const processor = await processorPath(stack);
  const http = await httpPath(stack);
  const rawAfter = await ceiling(stack, 'raw2');
  const raw = (rawBefore + rawAfter) / 2;
  const costs = values['no-costs'] ? undefined : await costPass(stack);
  const passes = costs ? 5 : 4;
  const stored = (await countEvents(stack.tableName)).total;
  if (stored !== passes * N) throw new Error(`expected ${passes * N} stored events, found ${stored}`);
  const result = {
    events: N,
    customers: CUSTOMERS,
    ceilingEventsPerSecond: Math.round(raw),
    ceilingBeforeAfter: [Math.round(rawBefore), Math.round(rawAfter)],
    processorEventsPerSecond: Math.round(processor),
    httpEventsPerSecond: Math.round(http),
    processorRatio: Number((processor / raw).toFixed(2)),
    httpRatio: Number((http / raw).toFixed(2)),
    ...(costs ? { costs } : {}),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`events per path          ${N} (${CUSTOMERS} customers; 80% track, 10% page, 10% identify)`);
    console.log(`raw BatchWrite ceiling   ${result.ceilingEventsPerSecond} events/s (mean of ${rawBefore.toFixed(0)} before and ${rawAfter.toFixed(0)} after the paths)`);
    console.log(`processor path           ${result.processorEventsPerSecond} events/s  (${result.processorRatio}x ceiling)`);
    console.log(`full HTTP path           ${result.httpEventsPerSecond} events/s  (${result.httpRatio}x ceiling)`);
    if (costs) printCostReport(costs, { requests: '1,000 events', cost: '1 M events' });
  }
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
