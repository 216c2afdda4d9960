import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { resetConfig } from '../../functions/commons/config.js';
import { ensureQueuePair, localClientConfig } from '../local/emulators.js';
import { FUNCTION_NAMES, type LocalStack } from '../local/stack.js';
import { RequestMeter } from './meter.js';
import { startMeteredConsumer, type MeteredConsumer } from './metered-consumer.js';

/**
 * The metered set-up both benchmarks' cost passes share: a fresh queue pair drained by the metered
 * `handler`, the environment variables that send the handlers there, the ingest API behind the
 * meter (the SES event stand-in counted as SNS), and the handlers' log bytes counted. `stop`
 * puts the stack back as it was.
 */
export interface MeteredPass {
  readonly meter: RequestMeter;
  readonly consumer: MeteredConsumer;
  stop(): Promise<void>;
}

export async function startMeteredPass(
  stack: LocalStack,
  opts: {
    /** Name of the queue made for the pass (its DLQ: `<name>-dlq`). */
    readonly queueName: string;
    readonly functionName: string;
    readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;
    /** The variables pointing the handlers at the pass's queue. */
    readonly env: (queueUrl: string) => Record<string, string>;
  },
): Promise<MeteredPass> {
  const meter = new RequestMeter();
  const admin = new SQSClient(localClientConfig(stack.endpoints.sqs));
  const pair = await ensureQueuePair(admin, { name: opts.queueName, dlqName: `${opts.queueName}-dlq`, visibilityTimeoutSeconds: 60 });
  admin.destroy();
  const ingest = await import('../../functions/ingest-http.js');
  meter.attachHandlerClients();
  const consumer = startMeteredConsumer({ meter, sqsEndpoint: stack.endpoints.sqs, queue: pair.queue, functionName: opts.functionName, handler: opts.handler });
  const env = opts.env(pair.queue.url);
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  resetConfig();
  stack.runtime.setDefaultRoute(meter.wrapHttpApi(FUNCTION_NAMES.ingestHttp, ingest.handler, { snsPaths: ['/v1/email-events'] }), {
    functionName: FUNCTION_NAMES.ingestHttp,
  });
  const stopLogs = meter.captureLogs();
  return {
    meter,
    consumer,
    async stop() {
      stopLogs();
      stack.runtime.setDefaultRoute(ingest.handler, { functionName: FUNCTION_NAMES.ingestHttp });
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      resetConfig();
      await consumer.stop();
      meter.detach();
    },
  };
}
