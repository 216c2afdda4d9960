import { AsyncLocalStorage } from 'node:async_hooks';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoClient, setClients } from '../../../functions/commons/clients.js';
import { resetConfig } from '../../../functions/commons/config.js';
import { decodeEnvelope } from '../../../functions/events/envelope.js';
import { queryCustomerEvents } from '../../../functions/store/events.js';
import { ensureQueuePair, localClientConfig } from '../../local/emulators.js';
import { queueDepth } from '../../local/runtime.js';
import { pool, SimulatedCrash, type Scenario } from './scenario.js';

/**
 * 100,000 events posted to the ingest API in batches of 100, 5% of them sent twice, 10% out of
 * order; the event processor (the real handler, polled from its own fauxqs queue with a
 * redrive policy of 5 receives) crashes in 5% of its invocations part-way through the batch: a
 * fault-injecting wrapper around the real DynamoDB client fails every call after a random number
 * of them, and the crashed invocation deletes nothing, as a dead Lambda does. Every event must
 * end stored exactly once or in the dead-letter queue.
 */
const EVENTS_PER_CUSTOMER = 50;
const BATCH = 100;
const CRASH_RATE = 0.05;
const context = { functionName: 'winback-process-events', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

const crashing = new AsyncLocalStorage<{ callsLeft: number }>();

function installCrashingDynamo(): () => void {
  const real = dynamoClient();
  const wrapper = Object.create(real) as typeof real;
  (wrapper as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const crash = crashing.getStore();
    if (crash && crash.callsLeft-- <= 0) throw new SimulatedCrash('processor crashed mid-batch');
    return real.send(command as never);
  };
  setClients({ dynamo: wrapper });
  return () => setClients({ dynamo: real });
}

export const ingestCrashDuplicates: Scenario = {
  name: 'ingest-crash-duplicates',
  volume: 100_000,
  guarantee: 'an accepted event is stored exactly once (or parked in the dead-letter queue), despite duplicates, reordering and processor crashes mid-batch',
  async run({ stack, operations, random, log }) {
    const sqs = new SQSClient(localClientConfig(stack.endpoints.sqs));
    const run = `r${Math.floor(random() * 1e9)}`;
    const pair = await ensureQueuePair(sqs, { name: `bench-faults-events-${run}`, dlqName: `bench-faults-events-${run}-dlq`, visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    const previous = { queue: process.env['EVENTS_QUEUE_URL'], dlq: process.env['EVENTS_DLQ_URL'] };
    process.env['EVENTS_QUEUE_URL'] = pair.queue.url;
    process.env['EVENTS_DLQ_URL'] = pair.dlq.url;
    resetConfig();
    const restoreDynamo = installCrashingDynamo();
    const { handler } = await import('../../../functions/process-events.js');
    const customers = Math.max(1, Math.ceil(operations / EVENTS_PER_CUSTOMER));
    const start = Date.UTC(2026, 0, 1);
    const events = Array.from({ length: operations }, (_, i) => ({
      type: 'track',
      event: 'Bench Viewed',
      userId: `${run}-c${i % customers}`,
      messageId: `${run}-e${i}`,
      timestamp: new Date(start + i * 1000).toISOString(),
      properties: { i },
    }));
    // 10% moved elsewhere (out of order), then 5% sent a second time at a random later place.
    const stream = [...events];
    const moved = Math.floor(operations * 0.1);
    for (let k = 0; k < moved; k++) {
      const from = Math.floor(random() * stream.length);
      const [item] = stream.splice(from, 1);
      stream.splice(Math.floor(random() * stream.length), 0, item!);
    }
    for (let k = 0; k < Math.floor(operations * 0.05); k++) {
      stream.splice(Math.floor(random() * stream.length), 0, events[Math.floor(random() * events.length)]!);
    }
    const batches: Array<typeof events> = [];
    for (let i = 0; i < stream.length; i += BATCH) batches.push(stream.slice(i, i + BATCH));
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    let refused = 0;
    let crashes = 0;
    let invocations = 0;
    let posting = true;
    let consumed = 0;

    const consume = async (): Promise<void> => {
      let idle = 0;
      for (;;) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'] }));
        const messages: Message[] = out.Messages ?? [];
        if (messages.length === 0) {
          // Done once posting is over and nothing is queued or in flight (crashed batches are in flight), twice in a row.
          idle = !posting && (await queueDepth(sqs, pair.queue.url)) === 0 ? idle + 1 : 0;
          if (idle >= 2) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        idle = 0;
        invocations++;
        const event = {
          Records: messages.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: m.Attributes ?? {}, messageAttributes: {}, md5OfBody: m.MD5OfBody!, eventSource: 'aws:sqs', eventSourceARN: pair.queue.arn, awsRegion: 'us-east-1' })),
        } as unknown as SQSEvent;
        if (random() < CRASH_RATE) {
          crashes++;
          // Dies part-way: the first few DynamoDB calls go through, then nothing does; no deletes.
          await crashing.run({ callsLeft: Math.floor(random() * 6) }, () => handler(event, context)).catch(() => undefined);
          continue;
        }
        const response = (await handler(event, context)) as SQSBatchResponse;
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId!));
        consumed += done.length;
        if (done.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: pair.queue.url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        }
      }
    };

    try {
      const consumers = Array.from({ length: 4 }, () => consume());
      let posted = 0;
      await pool(batches, 8, async (batch) => {
        const res = await fetch(`${stack.apiUrl}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
        await res.arrayBuffer();
        if (res.status !== 200) refused += batch.length;
        posted += batch.length;
        if (posted % 20_000 < BATCH) log(`ingest-crash-duplicates: ${posted} of ${stream.length} posted`);
      });
      posting = false;
      await Promise.all(consumers);
    } finally {
      restoreDynamo();
      for (const [key, value] of [['EVENTS_QUEUE_URL', previous.queue], ['EVENTS_DLQ_URL', previous.dlq]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      resetConfig();
    }

    // What the DLQ holds (whole messages after 5 receives, or single events parked by the processor).
    const parked = new Set<string>();
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.dlq.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!out.Messages?.length) break;
      for (const m of out.Messages) for (const e of decodeEnvelope(m.Body!).events) parked.add(e.eventId);
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: pair.dlq.url, Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    const storedIds = new Map<string, number>();
    await pool(Array.from({ length: customers }, (_, c) => `${run}-c${c}`), 8, async (customerId) => {
      for (const e of await queryCustomerEvents(stack.tableName, customerId)) storedIds.set(e.eventId, (storedIds.get(e.eventId) ?? 0) + 1);
    });
    sqs.destroy();
    let lost = 0;
    let duplicated = 0;
    for (const e of events) {
      const id = `seg:${e.messageId}`;
      const n = storedIds.get(id) ?? 0;
      if (n === 0 && !parked.has(id)) lost++;
      if (n > 1) duplicated += n - 1;
    }
    const sent = new Set(events.map((e) => `seg:${e.messageId}`));
    for (const id of storedIds.keys()) if (!sent.has(id)) duplicated++;
    return {
      operations,
      lost,
      duplicated,
      violations: refused,
      notes: { posted: stream.length, duplicatesSent: stream.length - operations, reordered: moved, invocations, crashes, deadLettered: parked.size, stored: storedIds.size, consumedMessages: consumed },
    };
  },
};
