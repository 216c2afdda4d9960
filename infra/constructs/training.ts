import { Duration, type Size } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { requireIntegerIn } from '../errors.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry } from '../paths.js';
import { JOB_DEAD_LETTER_QUEUES } from '../../kernel/settings.js';
import { tfjsWasmPackaging } from '../tfjs-wasm.js';
import type { EventStore } from './event-store.js';
import { JobSchedule } from './job-schedule.js';
import type { ModelRegistry } from './model-registry.js';
import { WinbackFunction } from './winback-function.js';

/** The TF.js models the training job can train (functions/train-models.ts `targets`). */
export type TrainingTarget = 'churn' | 'propensity';

/** The event functions/train-models.ts receives from the schedule. */
export interface TrainingEvent {
  readonly targets?: readonly TrainingTarget[];
  readonly cutoff?: string;
  readonly horizonDays?: number;
}

export interface TrainingProps {
  /** The event log the job reads (Query, GetItem, BatchGetItem on the table and its indexes). */
  readonly eventStore: EventStore;
  /** Where model versions are read and written. */
  readonly registry: ModelRegistry;
  /**
   * Variables shared by every function (TABLE_NAME, EVENT_RETENTION_DAYS); this construct adds
   * MODEL_REGISTRY_URI and the TF.js wasm settings.
   * @default - none
   */
  readonly environment?: FunctionEnvironment;
  /**
   * When training runs.
   * @default weekly, Sundays 02:00 UTC (before the daily scoring at 04:00)
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * The event each tick sends. No cutoff: the job takes the latest cutoff whose label horizon the
   * data already covers (a cutoff of "now" would have no labels).
   * @default { targets: ['churn', 'propensity'] }
   */
  readonly event?: TrainingEvent;
  /**
   * Memory in MB (and CPU in proportion: 3008 MB is about 1.7 vCPUs). TF.js on wasm is single-threaded;
   * the memory holds every customer's feature rows for several rolling cutoffs.
   * @default 3008
   */
  readonly memorySize?: number;
  /**
   * @default Duration.minutes(15), Lambda's maximum
   */
  readonly timeout?: Duration;
  /**
   * /tmp size. The job keeps its data in memory and writes only the model files (kilobytes)
   * before uploading them, so Lambda's default is ample.
   * @default - 512 MiB
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * Times Lambda retries a failed asynchronous run (a crash, a timeout) before its on-failure
   * destination (the job's DLQ). One retry covers a transient fault; more would mostly repeat a
   * deterministic failure 15 minutes at a time.
   * @default 1
   */
  readonly retryAttempts?: number;
  /**
   * Whether the schedule is enabled (the function can still be invoked by hand).
   * @default true
   */
  readonly scheduleEnabled?: boolean;
}

/**
 * Scheduled model training: EventBridge Scheduler invokes the train-models function (asynchronously,
 * as Scheduler invokes Lambda) once a week. Every failure lands in one dead-letter queue: ticks
 * Scheduler could not deliver (after its retry policy) and runs that failed (after Lambda's
 * asynchronous retries, through an on-failure destination).
 * The function reads the event log and reads/writes the model registry, nothing else.
 */
export class Training extends Construct {
  public readonly handler: WinbackFunction;
  public readonly jobSchedule: JobSchedule;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 1;
    requireIntegerIn(this, 'retryAttempts', retryAttempts, 0, 2, "(Lambda's limits)");

    const tfjs = tfjsWasmPackaging(this);
    this.handler = new WinbackFunction(this, 'TrainModels', {
      entry: functionEntry('train-models'),
      serviceName: 'train-models',
      description: 'Trains the churn and purchase-propensity models and fits CLV; promotes a version only if it beats the champion',
      memorySize: props.memorySize ?? 3008,
      timeout: props.timeout ?? Duration.minutes(15),
      ephemeralStorageSize: props.ephemeralStorageSize,
      bundledFiles: tfjs.bundledFiles,
      environment: {
        ...props.environment,
        MODEL_REGISTRY_URI: props.registry.uri,
        ...tfjs.environment,
      },
    });
    props.eventStore.grantEventReader(this.handler);
    props.registry.grantReadWrite(this.handler);

    const event: TrainingEvent = props.event ?? { targets: ['churn', 'propensity'] };
    this.jobSchedule = new JobSchedule(this, 'Weekly', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ weekDay: 'SUN', hour: '2', minute: '0' }),
      description: 'winback: weekly model training',
      deadLetterQueueName: JOB_DEAD_LETTER_QUEUES.training,
      enabled: props.scheduleEnabled,
      target: (base) =>
        new targets.LambdaInvoke(this.handler.function, { ...base, input: scheduler.ScheduleTargetInput.fromObject(event) }),
    });

    this.jobSchedule.acknowledgeLambdaTarget(this.handler.function);

    this.handler.function.configureAsyncInvoke({
      retryAttempts,
      // A tick that waited longer than this in Lambda's queue (throttling) is dropped to the DLQ
      // rather than run late into the next one.
      maxEventAge: Duration.hours(6),
      onFailure: sendOnlyQueueDestination(this.jobSchedule.deadLetterQueue),
    });
  }

  public get deadLetterQueue(): sqs.Queue {
    return this.jobSchedule.deadLetterQueue;
  }
}

/**
 * An on-failure destination granting only sqs:SendMessage (SqsDestination's grantSendMessages
 * would add GetQueueAttributes and GetQueueUrl, which Lambda does not use to deliver).
 */
function sendOnlyQueueDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind: (_scope, fn) => {
      queue.grant(fn, 'sqs:SendMessage');
      return { destination: queue.queueArn };
    },
  };
}
