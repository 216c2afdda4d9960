import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { localClientConfig, type QueueRef } from '../local/emulators.js';
import { queueDepth } from '../local/runtime.js';
import { sleep, SqsEventSource } from '../local/sqs-event-source.js';
import type { RequestMeter } from './meter.js';
import { EVENT_SOURCE_POLLER } from './meter-snapshot.js';

/**
 * A Lambda SQS event source for a metered benchmark pass: the local runtime's own event source
 * (scripts/local/sqs-event-source.ts, same batching, same deletes), polling with a client of its
 * own whose ReceiveMessage / DeleteMessageBatch calls the meter counts (as in AWS, where the
 * event source mapping's polling is billed as SQS requests), around the metered handler.
 */
export interface MeteredConsumer {
  readonly source: SqsEventSource;
  /** Resolves once the queue is empty and no batch is in the handler, seen twice in a row. */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startMeteredConsumer(opts: {
  readonly meter: RequestMeter;
  readonly sqsEndpoint: string;
  readonly queue: QueueRef;
  readonly functionName: string;
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;
  readonly concurrency?: number;
}): MeteredConsumer {
  const poller = new SQSClient(localClientConfig(opts.sqsEndpoint));
  opts.meter.attach(poller, 'sqs', { context: EVENT_SOURCE_POLLER });
  // Queue depth polls are the harness's, on a client the meter does not see.
  const admin = new SQSClient(localClientConfig(opts.sqsEndpoint));
  const source = new SqsEventSource(
    poller,
    { queue: opts.queue, functionName: opts.functionName, handler: opts.meter.wrapLambda(opts.functionName, opts.handler), concurrency: opts.concurrency ?? 2 },
    (line) => console.error(`[bench] ${line}`),
  );
  source.start();
  return {
    source,
    async drain(timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      let idle = 0;
      while (idle < 2) {
        const busy = source.inFlightBatches;
        const depth = await queueDepth(admin, opts.queue.url);
        idle = depth === 0 && busy === 0 && source.inFlightBatches === 0 ? idle + 1 : 0;
        if (Date.now() > deadline) throw new Error(`${opts.queue.name} not drained after ${timeoutMs} ms (${depth} messages)`);
        if (idle < 2) await sleep(50);
      }
    },
    async stop() {
      await source.stop();
      poller.destroy();
      admin.destroy();
    },
  };
}
