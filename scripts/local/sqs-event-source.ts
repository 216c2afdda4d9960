import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { PROCESSOR_BATCH_SIZE, PROCESSOR_TIMEOUT_SECONDS } from '../../kernel/settings.js';
import { LOCAL_REGION, type QueueRef } from './emulators.js';
import { HandlerTimeoutError } from './errors.js';
import { createLambdaContext } from './lambda-context.js';

/**
 * A Lambda SQS event source mapping with ReportBatchItemFailures: long-polls a queue, hands
 * batches of real SQSRecords to the handler, and deletes what succeeded. What fails stays in the
 * queue; it reappears after the visibility timeout and the queue's redrive policy moves it to the
 * DLQ after maxReceiveCount receives (fauxqs applies RedrivePolicy on receive, as SQS does).
 */

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;

export interface EventSourceOptions {
  readonly queue: QueueRef;
  readonly handler: SqsHandler;
  readonly functionName: string;
  /** Messages per invocation (Lambda's BatchSize, at most 10 here as in a ReceiveMessage call). */
  readonly batchSize?: number;
  /** Concurrent pollers; each runs one batch at a time, like Lambda's concurrent invocations. */
  readonly concurrency?: number;
  readonly timeoutSeconds?: number;
  /** Long-poll wait; 20 s (the maximum) keeps an idle stack quiet. */
  readonly waitTimeSeconds?: number;
}

export interface EventSourceStats {
  invocations: number;
  recordsDeleted: number;
  recordsFailed: number;
  handlerErrors: number;
}

export type Log = (line: string) => void;

export class SqsEventSource {
  readonly queue: QueueRef;
  readonly functionName: string;
  readonly stats: EventSourceStats = { invocations: 0, recordsDeleted: 0, recordsFailed: 0, handlerErrors: 0 };
  private readonly handler: SqsHandler;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly timeoutSeconds: number;
  private readonly waitTimeSeconds: number;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  /**
   * Handler runs not settled yet, including those past their timeout: Lambda would have killed
   * them, here they go on, so stop() waits for them before the emulators they use are closed.
   */
  private readonly unsettled = new Set<Promise<void>>();
  private running = 0;
  private stopping = false;

  constructor(
    private readonly sqs: SQSClient,
    opts: EventSourceOptions,
    private readonly log: Log,
  ) {
    this.queue = opts.queue;
    this.handler = opts.handler;
    this.functionName = opts.functionName;
    this.batchSize = Math.min(opts.batchSize ?? PROCESSOR_BATCH_SIZE, 10);
    this.concurrency = opts.concurrency ?? 2;
    this.timeoutSeconds = opts.timeoutSeconds ?? PROCESSOR_TIMEOUT_SECONDS;
    this.waitTimeSeconds = opts.waitTimeSeconds ?? 20;
  }

  /** Batches currently handed to the handler or being deleted. */
  get inFlightBatches(): number {
    return this.running;
  }

  start(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.poll());
  }

  /**
   * Stops polling; batches already received finish (handler and deletes) before this resolves,
   * and so do handler runs that outlived their timeout (for up to one more timeout).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    // Only idle long polls are cut short; a batch in a handler is awaited by its worker loop.
    this.abort.abort();
    await Promise.all(this.workers);
    this.workers = [];
    if (this.unsettled.size === 0) return;
    this.log(`${this.functionName}: waiting for ${this.unsettled.size} handler runs past their timeout`);
    const settled = await Promise.race([Promise.all(this.unsettled).then(() => true), sleep(this.timeoutSeconds * 1000).then(() => false)]);
    if (!settled) this.log(`${this.functionName}: ${this.unsettled.size} handler runs still running; stopping anyway`);
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      let messages: Message[];
      try {
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queue.url,
            MaxNumberOfMessages: this.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (this.stopping) return;
        this.log(`${this.functionName}: ReceiveMessage failed (${errorName(err)}); retrying`);
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      this.running++;
      try {
        await this.invoke(messages);
      } finally {
        this.running--;
      }
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const records = messages.map((m) => toSqsRecord(m, this.queue));
    const context = createLambdaContext({ functionName: this.functionName, timeoutSeconds: this.timeoutSeconds });
    this.stats.invocations++;
    let response: unknown;
    // An async wrapper, so that a handler throwing synchronously fails its batch like any other.
    const run = (async () => this.handler({ Records: records }, context))();
    this.track(run);
    try {
      response = await withTimeout(run, this.timeoutSeconds, this.functionName);
    } catch (err) {
      // As in Lambda: an error (or timeout) fails the whole batch; nothing is deleted.
      this.stats.handlerErrors++;
      this.stats.recordsFailed += records.length;
      this.log(`${this.functionName}: handler failed (${errorName(err)}); ${records.length} records stay for redelivery`);
      return;
    }
    const failed = failedMessageIds(response, records);
    if (failed === 'all') {
      this.stats.recordsFailed += records.length;
      this.log(`${this.functionName}: invalid batchItemFailures; the whole batch stays for redelivery`);
      return;
    }
    this.stats.recordsFailed += failed.size;
    if (failed.size > 0) this.log(`${this.functionName}: ${failed.size} of ${records.length} records failed`);
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) await this.deleteRecords(done);
  }

  private track(run: Promise<unknown>): void {
    // Its outcome is reported by invoke(), or, past the timeout, dropped as Lambda drops it.
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
  }

  private async deleteRecords(records: SQSRecord[]): Promise<void> {
    try {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      const failures = out.Failed?.length ?? 0;
      this.stats.recordsDeleted += records.length - failures;
      if (failures > 0) this.log(`${this.functionName}: ${failures} deletes failed; those records will be redelivered`);
    } catch (err) {
      // Undeleted records come back after the visibility timeout; idempotent handlers converge.
      this.log(`${this.functionName}: DeleteMessageBatch failed (${errorName(err)})`);
    }
  }
}

/**
 * Lambda's reading of a ReportBatchItemFailures response: no response, or no/empty
 * batchItemFailures, is full success; an identifier that is empty or not in the batch, or a
 * malformed response, fails the whole batch.
 */
export function failedMessageIds(response: unknown, records: readonly SQSRecord[]): Set<string> | 'all' {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== 'object') return 'all';
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const f of failures) {
    const id = typeof f === 'object' && f !== null ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

/** A received SQS message in the shape Lambda delivers it. */
export function toSqsRecord(message: Message, queue: QueueRef): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const key of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId'] as const) {
    const value = a[key];
    if (value !== undefined) attributes[key] = value;
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: LOCAL_REGION,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SDK shape (StringValue, BinaryValue bytes) to Lambda's (stringValue, base64 binaryValue, list fields). */
function toLambdaMessageAttributes(attrs: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    out[name] = {
      dataType: v.DataType ?? 'String',
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map(toBase64),
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: toBase64(v.BinaryValue) } : {}),
    };
  }
  return out;
}

function toBase64(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('base64');
}

async function withTimeout<T>(work: Promise<T>, seconds: number, functionName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeoutError(`${functionName} timed out after ${seconds} s`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Error class name only: messages may quote record contents (personal data). */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
