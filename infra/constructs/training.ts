import { Duration, RemovalPolicy, type Size, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { requireIntegerIn } from '../errors.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { join } from 'node:path';
import { functionEntry, PROJECT_ROOT } from '../paths.js';
import { campaignFiles } from './campaigns.js';
import { featureBuildDefinition } from '../../functions/jobs/distributed-definitions.js';
import { DEFAULT_SEGMENT_CUSTOMERS, DEFAULT_TRAINING_SAMPLE, JOB_DEAD_LETTER_QUEUES } from '../../kernel/settings.js';
import { DistributedJobStateMachine } from './distributed-job.js';
import { tfjsWasmPackaging } from '../tfjs-wasm.js';
import type { EventStore } from './event-store.js';
import { JobSchedule } from './job-schedule.js';
import type { ModelRegistry } from './model-registry.js';
import { TASK_TIMEOUT_MARGIN } from './scoring.js';
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
   * Customers trained on at most: beyond, a proportional stratified sample drawn from the feature
   * shards (TRAINING_SAMPLE_CUSTOMERS; functions/jobs/distributed-jobs.ts).
   * @default 20000
   */
  readonly sampleCustomers?: number;
  /**
   * Customers per segment of the feature build (manifest item).
   * @default 1000
   */
  readonly segmentCustomers?: number;
  /**
   * Child executions of the feature build's Distributed Map at once (1-10,000).
   * @default 40
   */
  readonly maxConcurrency?: number;
  /**
   * Retention of the state machine's execution log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether the schedule is enabled (the function can still be invoked by hand).
   * @default true
   */
  readonly scheduleEnabled?: boolean;
}

/**
 * Scheduled model training as a Standard Step Functions state machine started weekly by
 * EventBridge Scheduler (functions/jobs/distributed-definitions.ts, the JSON the local runner
 * executes):
 *
 *   PlanFeatures (manifest of customer segments in jobs/features/<asOf>/)
 *   -> BuildFeatures: Distributed Map (ItemReader from the manifest, ItemBatcher, EXPRESS child
 *      executions of build-features writing one feature shard per segment, ResultWriter)
 *   -> TrainModels (train-models on the population, or a stratified sample of it drawn from the
 *      feature shards beyond sampleCustomers)
 *   on any error: RecordFailure -> TrainingFailed.
 * Ticks Scheduler could not deliver land in the job's dead-letter queue; a failed execution is
 * visible as such (and in its log group).
 */
export class Training extends Construct {
  public readonly handler: WinbackFunction;
  public readonly planFeatures: WinbackFunction;
  public readonly buildFeatures: WinbackFunction;
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly jobSchedule: JobSchedule;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    const sampleCustomers = props.sampleCustomers ?? DEFAULT_TRAINING_SAMPLE;
    const segmentCustomers = props.segmentCustomers ?? DEFAULT_SEGMENT_CUSTOMERS;
    const maxConcurrency = props.maxConcurrency ?? 40;
    requireIntegerIn(this, 'sampleCustomers', sampleCustomers, 100, 10_000_000);
    requireIntegerIn(this, 'segmentCustomers', segmentCustomers, 1, 100_000);
    requireIntegerIn(this, 'maxConcurrency', maxConcurrency, 1, 10_000, "(a Distributed Map's limit)");
    const jobEnvironment = { JOB_BUCKET: props.registry.bucket.bucketName, JOB_SEGMENT_CUSTOMERS: String(segmentCustomers) };

    const tfjs = tfjsWasmPackaging(this);
    const timeout = props.timeout ?? Duration.minutes(15);
    this.handler = new WinbackFunction(this, 'TrainModels', {
      entry: functionEntry('train-models'),
      serviceName: 'train-models',
      description: 'Trains the churn and purchase-propensity models and fits CLV; promotes a version only if it beats the champion',
      memorySize: props.memorySize ?? 3008,
      timeout,
      ephemeralStorageSize: props.ephemeralStorageSize,
      // The campaign files: uplift models are learnt from their entries (functions/jobs/uplift-cycle.ts).
      bundledFiles: [...tfjs.bundledFiles, ...campaignFiles(this, join(PROJECT_ROOT, 'campaigns'))],
      environment: {
        ...props.environment,
        CAMPAIGNS_DIR: 'campaigns',
        MODEL_REGISTRY_URI: props.registry.uri,
        ...jobEnvironment,
        TRAINING_SAMPLE_CUSTOMERS: String(sampleCustomers),
        ...tfjs.environment,
      },
    });
    props.eventStore.grantEventReader(this.handler);
    props.registry.grantReadWrite(this.handler);
    props.registry.grantJobObjects(this.handler, 'features', ['s3:GetObject'], 'the feature shards the training sample is drawn from');

    const planTimeout = Duration.minutes(15);
    this.planFeatures = new WinbackFunction(this, 'PlanFeatures', {
      entry: functionEntry('plan-features'),
      serviceName: 'plan-features',
      description: 'Writes the manifest of customer segments for the feature build',
      timeout: planTimeout,
      environment: { ...props.environment, ...jobEnvironment },
    });
    props.eventStore.grantEventReader(this.planFeatures);
    props.registry.grantJobObjects(this.planFeatures, 'features', ['s3:PutObject'], 'the feature-build manifests');

    const buildTimeout = Duration.minutes(15);
    this.buildFeatures = new WinbackFunction(this, 'BuildFeatures', {
      entry: functionEntry('build-features'),
      serviceName: 'build-features',
      description: "Writes the feature shards (per-customer aggregates) of a batch of customer segments",
      memorySize: 1024,
      timeout: buildTimeout,
      environment: { ...props.environment, ...jobEnvironment },
    });
    props.eventStore.grantEventReader(this.buildFeatures);
    props.registry.grantJobObjects(this.buildFeatures, 'features', ['s3:PutObject'], 'the feature shards');

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const seconds = (d: Duration): number => d.toSeconds();
    this.stateMachine = new DistributedJobStateMachine(this, 'Job', {
      stateMachineName: `${Stack.of(this).stackName}-training`,
      comment: 'winback: build feature shards with a Distributed Map, then train',
      definition: featureBuildDefinition(
        { plan: this.planFeatures.function.functionArn, buildShard: this.buildFeatures.function.functionArn, train: this.handler.function.functionArn },
        {
          bucket: props.registry.bucket.bucketName,
          timeoutSeconds: seconds(Duration.hours(3)),
          taskTimeoutSeconds: {
            plan: seconds(planTimeout.plus(TASK_TIMEOUT_MARGIN)),
            worker: seconds(buildTimeout.plus(TASK_TIMEOUT_MARGIN)),
            train: seconds(timeout.plus(TASK_TIMEOUT_MARGIN)),
          },
        },
        { maxConcurrency, maxItemsPerBatch: 5, toleratedFailurePercentage: 1 },
      ),
      invokes: [this.planFeatures, this.buildFeatures, this.handler],
      registry: props.registry,
      manifestPrefix: 'features',
      resultPrefix: 'feature-results',
      logGroup: this.logGroup,
    }).stateMachine;

    const event: TrainingEvent = props.event ?? { targets: ['churn', 'propensity'] };
    this.jobSchedule = new JobSchedule(this, 'Weekly', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ weekDay: 'SUN', hour: '2', minute: '0' }),
      description: 'winback: weekly feature build and model training',
      deadLetterQueueName: JOB_DEAD_LETTER_QUEUES.training,
      enabled: props.scheduleEnabled,
      target: (base) =>
        new targets.StepFunctionsStartExecution(this.stateMachine, {
          ...base,
          // The tick's time names the run's objects: a redelivered tick rewrites the same ones.
          input: scheduler.ScheduleTargetInput.fromObject({ ...event, asOf: scheduler.ContextAttribute.scheduledTime }),
        }),
    });
  }

  public get deadLetterQueue(): sqs.Queue {
    return this.jobSchedule.deadLetterQueue;
  }
}
