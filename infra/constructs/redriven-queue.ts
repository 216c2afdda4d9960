import { Duration, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InfraConfigError } from '../errors.js';
import { DLQ_RETENTION_DAYS, MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS } from '../../kernel/settings.js';

/** AWS guidance for Lambda event sources: visibility at least 6x the function timeout. */
const VISIBILITY_TO_TIMEOUT_RATIO = 6;
/** Below this, one transient outage (throttling, a deploy) sends good messages to the DLQ. */
const MIN_RECEIVE_COUNT = 5;

export interface RedrivenQueueProps {
  /** Physical name of the work queue (kernel/settings.ts QUEUES, shared with the local stack). */
  readonly queueName: string;
  /** Physical name of its dead-letter queue. */
  readonly deadLetterQueueName: string;
  /**
   * Timeout of the Lambda function consuming the queue: the visibility timeout must be at least
   * 6x this, or a message still being processed becomes visible again and is processed twice.
   */
  readonly consumerTimeout: Duration;
  /**
   * @default Duration.seconds(QUEUE_VISIBILITY_TIMEOUT_SECONDS)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue; at least 5.
   * @default MAX_RECEIVE_COUNT
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the work queue keeps a message.
   * @default Duration.days(4) (the SQS default; the DLQ keeps messages longer)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long the dead-letter queue keeps a message. Longer than the work queue's, because SQS
   * keeps a message's original enqueue time when it moves it to a standard DLQ.
   * @default Duration.days(DLQ_RETENTION_DAYS)
   */
  readonly deadLetterRetentionPeriod?: Duration;
}

/**
 * An SQS queue encrypted with SQS-managed keys (SSE-SQS: no key policy for SNS, Scheduler or
 * Lambda to need) that refuses non-TLS requests: every queue of the stack is made here.
 */
export function secureQueue(scope: Construct, id: string, props: Omit<sqs.QueueProps, 'encryption' | 'enforceSSL'>): sqs.Queue {
  return new sqs.Queue(scope, id, { ...props, encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
}

/**
 * A work queue and its dead-letter queue, both encrypted with SQS-managed keys (SSE-SQS: no key
 * policy for SNS or Lambda to need) and refusing non-TLS requests. The redrive and visibility
 * rules are checked here, at synth time, rather than discovered as duplicates in production.
 */
export class RedrivenQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RedrivenQueueProps) {
    super(scope, id);

    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(QUEUE_VISIBILITY_TIMEOUT_SECONDS);
    const maxReceiveCount = props.maxReceiveCount ?? MAX_RECEIVE_COUNT;
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(DLQ_RETENTION_DAYS);
    this.validate(props.consumerTimeout, visibilityTimeout, maxReceiveCount, retentionPeriod, deadLetterRetentionPeriod);

    this.deadLetterQueue = secureQueue(this, 'DeadLetterQueue', { queueName: props.deadLetterQueueName, retentionPeriod: deadLetterRetentionPeriod });
    this.queue = secureQueue(this, 'Queue', {
      queueName: props.queueName,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
  }

  private validate(
    consumerTimeout: Duration,
    visibilityTimeout: Duration,
    maxReceiveCount: number,
    retentionPeriod: Duration,
    deadLetterRetentionPeriod: Duration,
  ): void {
    const durations = [consumerTimeout, visibilityTimeout, retentionPeriod, deadLetterRetentionPeriod];
    if (durations.some((d) => Token.isUnresolved(d.toSeconds({ integral: false })))) return;
    if (visibilityTimeout.toSeconds() < VISIBILITY_TO_TIMEOUT_RATIO * consumerTimeout.toSeconds()) {
      throw new InfraConfigError(
        this,
        `visibilityTimeout (${visibilityTimeout.toSeconds()} s) must be at least ${VISIBILITY_TO_TIMEOUT_RATIO}x the consumer timeout (${consumerTimeout.toSeconds()} s)`,
      );
    }
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < MIN_RECEIVE_COUNT) {
      throw new InfraConfigError(this, `maxReceiveCount must be an integer >= ${MIN_RECEIVE_COUNT}, got ${maxReceiveCount}`);
    }
    if (deadLetterRetentionPeriod.toSeconds() <= retentionPeriod.toSeconds()) {
      throw new InfraConfigError(
        this,
        'deadLetterRetentionPeriod must be longer than retentionPeriod: a moved message keeps its original enqueue time',
      );
    }
  }
}
