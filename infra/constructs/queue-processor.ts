import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../function-environment.js';
import { PROCESSOR_BATCH_SIZE, PROCESSOR_TIMEOUT_SECONDS } from '../../kernel/settings.js';
import type { EventStore } from './event-store.js';
import { RedrivenQueue } from './redriven-queue.js';
import { WinbackFunction } from './winback-function.js';

export interface QueueProcessorProps {
  /** Physical names of the work queue and its DLQ (kernel/settings.ts QUEUES). */
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** Absolute path of the handler's entry file. */
  readonly entry: string;
  /** Powertools service name of the processor function. */
  readonly serviceName: string;
  readonly description?: string;
  /** The table the processor writes; it is granted EVENT_WRITER_ACTIONS on it. */
  readonly eventStore: EventStore;
  /**
   * @default - none beyond what WinbackFunction sets
   */
  readonly environment?: FunctionEnvironment;
  /**
   * The queue's visibility timeout is checked against it (at least 6x).
   * @default Duration.seconds(PROCESSOR_TIMEOUT_SECONDS)
   */
  readonly timeout?: Duration;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Messages per invocation.
   * @default PROCESSOR_BATCH_SIZE
   */
  readonly batchSize?: number;
  /**
   * How long Lambda may wait to fill a batch: small, because events feed near-real-time triggers.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Upper bound on concurrent invocations from this queue (2-1000), to protect what the function writes to.
   * @default - no limit beyond the account's
   */
  readonly maxConcurrency?: number;
  /**
   * For a processor that parks the refused part of a message in the DLQ itself (its valid
   * neighbours stored): the environment variable that names the DLQ's URL. The function is then
   * granted sqs:SendMessage on the DLQ.
   * @default - the function cannot send to its DLQ
   */
  readonly deadLetterUrlVariable?: string;
}

/** What a construct built around a QueueProcessor (IngestApi, EmailFeedback) passes on to it. */
export interface ProcessorSettings {
  /**
   * Variables shared by every function (TABLE_NAME, EVENT_RETENTION_DAYS).
   * @default - none
   */
  readonly environment?: FunctionEnvironment;
  /**
   * @default 512
   */
  readonly processorMemorySize?: number;
}

/**
 * A queue, its DLQ and the Lambda function draining it with partial batch responses: a failed
 * message is retried alone, up to maxReceiveCount times, then parked in the DLQ; the rest of the
 * batch is deleted. The function is granted consume on its queue (by the event source) and
 * writer access to the event store, nothing else.
 */
export class QueueProcessor extends Construct {
  public readonly queues: RedrivenQueue;
  public readonly handler: WinbackFunction;

  constructor(scope: Construct, id: string, props: QueueProcessorProps) {
    super(scope, id);

    const timeout = props.timeout ?? Duration.seconds(PROCESSOR_TIMEOUT_SECONDS);
    this.queues = new RedrivenQueue(this, 'Queues', {
      queueName: props.queueName,
      deadLetterQueueName: props.deadLetterQueueName,
      consumerTimeout: timeout,
    });

    this.handler = new WinbackFunction(this, 'Processor', {
      entry: props.entry,
      serviceName: props.serviceName,
      description: props.description,
      timeout,
      memorySize: props.memorySize,
      environment: props.environment,
    });

    this.handler.function.addEventSource(
      new SqsEventSource(this.queues.queue, {
        batchSize: props.batchSize ?? PROCESSOR_BATCH_SIZE,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
    props.eventStore.grantEventWriter(this.handler);
    if (props.deadLetterUrlVariable) {
      this.handler.function.addEnvironment(props.deadLetterUrlVariable, this.queues.deadLetterQueue.queueUrl);
      this.queues.deadLetterQueue.grant(this.handler.function, 'sqs:SendMessage');
    }
  }
}
