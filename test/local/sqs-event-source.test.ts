import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureQueuePair, localClientConfig, type QueuePair } from '../../scripts/local/emulators.js';
import { DrainTimeoutError } from '../../scripts/local/errors.js';
import { queueDepth } from '../../scripts/local/runtime.js';
import { failedMessageIds, sleep } from '../../scripts/local/sqs-event-source.js';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack.js';
import { MAX_RECEIVE_COUNT } from '../../kernel/settings.js';

let stack: LocalStack;
let dataDir: string;
let sqs: SQSClient;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'winback-sqs-'));
  stack = await startLocalStack({ dataDir, port: 0, quiet: true, visibilityTimeoutSeconds: 1 });
  sqs = new SQSClient(localClientConfig(stack.endpoints.sqs));
});

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop({ drainTimeoutMs: 0 });
  await rm(dataDir, { recursive: true, force: true });
});

/** A queue pair like the stack's, but consumed only by the test's handler. */
function testQueues(name: string): Promise<QueuePair> {
  return ensureQueuePair(sqs, { name, dlqName: `${name}-dlq`, visibilityTimeoutSeconds: 1 });
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

describe('SQS event source mapping', () => {
  it('wires the stack queues to the processor handlers', () => {
    // Assess
    expect(stack.runtime.listConsumers()).toEqual(
      expect.arrayContaining([
        { queueName: 'winback-events', functionName: 'winback-process-events' },
        { queueName: 'winback-email-events', functionName: 'winback-process-email-events' },
      ]),
    );
  });

  it('deletes what succeeded, redelivers a reported failure, and redrives it to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const { queue, dlq } = await testQueues('test-partial');
    const seen: SQSRecord[] = [];
    const source = stack.runtime.addQueueConsumer({
      queue,
      functionName: 'test-partial-consumer',
      handler: async (event: SQSEvent): Promise<SQSBatchResponse> => {
        seen.push(...event.Records);
        return {
          batchItemFailures: event.Records.filter((r) => r.body.startsWith('fail')).map((r) => ({ itemIdentifier: r.messageId })),
        };
      },
    });
    // Act
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: 'ok-1',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'web' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    for (const body of ['ok-2', 'ok-3', 'fail-1']) await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    await waitFor(async () => (await queueDepth(sqs, dlq.url)) === 1, 30_000);
    // Let one more visibility timeout pass: a deleted message must not come back.
    await sleep(1500);
    await stack.runtime.removeQueueConsumer(source);
    // Assess
    const bodies = seen.map((r) => r.body);
    for (const ok of ['ok-1', 'ok-2', 'ok-3']) expect(bodies.filter((b) => b === ok)).toHaveLength(1);
    const failing = seen.filter((r) => r.body === 'fail-1');
    expect(failing.map((r) => Number(r.attributes.ApproximateReceiveCount))).toEqual(
      Array.from({ length: MAX_RECEIVE_COUNT }, (_, i) => i + 1),
    );
    expect(new Set(failing.map((r) => r.messageId)).size).toBe(1);
    expect(await queueDepth(sqs, queue.url)).toBe(0);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['fail-1']);
    expect(source.stats.recordsDeleted).toBe(3);
    expect(source.stats.recordsFailed).toBe(MAX_RECEIVE_COUNT);

    const first = seen.find((r) => r.body === 'ok-1')!;
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      md5OfBody: md5('ok-1'),
      messageAttributes: {
        kind: { dataType: 'String', stringValue: 'web', stringListValues: [], binaryListValues: [] },
        blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2, 3]).toString('base64') },
      },
    });
    expect(first.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:test-partial');
    expect(first.receiptHandle).not.toBe('');
    expect(first.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(first.attributes.SentTimestamp).toMatch(/^\d{13}$/);
    expect(first.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d{13}$/);
    expect(first.attributes.SenderId).not.toBe('');
  });

  it('deletes nothing from a batch whose handler throws', async () => {
    // Prepare: every first delivery throws, every later one succeeds
    const { queue, dlq } = await testQueues('test-throws');
    const invocations: Array<{ ids: string[]; threw: boolean }> = [];
    const source = stack.runtime.addQueueConsumer({
      queue,
      functionName: 'test-throws-consumer',
      handler: async (event: SQSEvent) => {
        const threw = event.Records.some((r) => r.attributes.ApproximateReceiveCount === '1');
        invocations.push({ ids: event.Records.map((r) => r.messageId), threw });
        if (threw) throw new Error('transient failure');
        return { batchItemFailures: [] };
      },
    });
    // Act
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ['a', 'b', 'c'].map((id) => ({ Id: id, MessageBody: `body-${id}` })),
      }),
    );
    const ids = (sent.Successful ?? []).map((s) => s.MessageId!);
    await waitFor(() => ids.every((id) => invocations.some((i) => !i.threw && i.ids.includes(id))), 20_000);
    await stack.runtime.drain({ timeoutMs: 10_000 });
    await stack.runtime.removeQueueConsumer(source);
    // Assess
    expect(ids).toHaveLength(3);
    const failedInvocations = invocations.filter((i) => i.threw);
    expect(failedInvocations.length).toBeGreaterThan(0);
    expect(source.stats.handlerErrors).toBe(failedInvocations.length);
    invocations.forEach((inv, n) => {
      const later = invocations.slice(n + 1).flatMap((i) => i.ids);
      // Whatever a throwing invocation held comes back; whatever a successful one held does not.
      for (const id of inv.ids) expect(later.includes(id)).toBe(inv.threw);
    });
    expect(await queueDepth(sqs, queue.url)).toBe(0);
    expect(await queueDepth(sqs, dlq.url)).toBe(0);
  });

  it('drain waits for a batch still in its handler, and times out with a named error', async () => {
    // Prepare
    const { queue } = await testQueues('test-drain');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const source = stack.runtime.addQueueConsumer({
      queue,
      functionName: 'test-drain-consumer',
      handler: async () => {
        await gate;
        finished = true;
      },
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    await waitFor(() => source.inFlightBatches === 1, 5000);
    // Act
    const timedOut = await stack.runtime.drain({ timeoutMs: 200 }).catch((err: unknown) => err);
    const drained = stack.runtime.drain({ timeoutMs: 10_000 }).then(() => finished);
    release();
    // Assess
    expect(timedOut).toBeInstanceOf(DrainTimeoutError);
    expect((timedOut as DrainTimeoutError).pending.inFlightBatches).toBe(1);
    expect(await drained).toBe(true);
    expect(await queueDepth(sqs, queue.url)).toBe(0);
    await stack.runtime.removeQueueConsumer(source);
  });

  it('stops only after a handler that outlived its timeout has finished (it may still be writing)', async () => {
    // Prepare: Lambda would kill a timed-out run; here it goes on, and the emulators close after stop()
    const { queue } = await testQueues('test-overrun');
    const runs = { started: 0, finished: 0 };
    const source = stack.runtime.addQueueConsumer({
      queue,
      functionName: 'test-overrun-consumer',
      timeoutSeconds: 1,
      handler: async () => {
        runs.started++;
        await sleep(1800);
        runs.finished++;
      },
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    await waitFor(() => source.stats.handlerErrors === 1, 5000);
    // Act
    await stack.runtime.removeQueueConsumer(source);
    // Assess
    expect(runs.started).toBeGreaterThanOrEqual(1);
    expect(runs.finished).toBe(runs.started);
  });
});

describe('failedMessageIds (Lambda ReportBatchItemFailures semantics)', () => {
  const records = [{ messageId: 'm1' }, { messageId: 'm2' }] as SQSRecord[];

  it('treats no response or empty failures as full success', () => {
    expect(failedMessageIds(undefined, records)).toEqual(new Set());
    expect(failedMessageIds({}, records)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [] }, records)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: null }, records)).toEqual(new Set());
  });

  it('returns the listed ids', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, records)).toEqual(new Set(['m2']));
  });

  it('fails the whole batch for unknown, empty or malformed identifiers', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'nope' }] }, records)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: '' }] }, records)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: [{ id: 'm1' }] }, records)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: 'm1' }, records)).toBe('all');
    expect(failedMessageIds('oops', records)).toBe('all');
  });
});
