import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { InfraConfigError, requireIntegerIn } from '../errors.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry } from '../paths.js';
import { scoringDefinition } from '../../functions/jobs/distributed-definitions.js';
import { DEFAULT_CHURN_THRESHOLD, DEFAULT_SEGMENT_CUSTOMERS, JOB_DEAD_LETTER_QUEUES } from '../../kernel/settings.js';
import { DistributedJobStateMachine } from './distributed-job.js';
import { tfjsWasmPackaging } from '../tfjs-wasm.js';
import type { EventStore } from './event-store.js';
import { JobSchedule } from './job-schedule.js';
import type { ModelRegistry } from './model-registry.js';
import { WinbackFunction } from './winback-function.js';

/** Margin of a Task state's timeout over its function's: Lambda's own timeout fires first. */
export const TASK_TIMEOUT_MARGIN = Duration.minutes(1);

export interface ScoringProps {
  /** The event log: the plan reads the customer registry, the workers read events and profiles and write score items. */
  readonly eventStore: EventStore;
  /** Where the champion models are read from (read-only); its bucket's `jobs/` prefix holds the manifests and results. */
  readonly registry: ModelRegistry;
  /**
   * Variables shared by every function (TABLE_NAME, EVENT_RETENTION_DAYS); this construct adds
   * MODEL_REGISTRY_URI, CHURN_THRESHOLD, JOB_BUCKET, JOB_SEGMENT_CUSTOMERS and the TF.js wasm settings.
   * @default - none
   */
  readonly environment?: FunctionEnvironment;
  /**
   * Churn probability whose crossing writes a score-change record (CHURN_THRESHOLD), in (0, 1).
   * @default DEFAULT_CHURN_THRESHOLD (0.6)
   */
  readonly churnThreshold?: number;
  /**
   * When scoring runs.
   * @default daily, 04:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * Child executions of the Distributed Map at once (1-10,000). Caps the Lambda concurrency and
   * the rate of score writes on the table: size it by the table's capacity (README, "What it costs").
   * @default 40
   */
  readonly maxConcurrency?: number;
  /**
   * Customers per segment (manifest item).
   * @default 1000
   */
  readonly segmentCustomers?: number;
  /**
   * Segments per child execution (ItemBatcher).
   * @default 5
   */
  readonly segmentsPerBatch?: number;
  /**
   * Share of child executions that may fail (after their retries) without failing the run; their
   * customers keep the previous score until the next run.
   * @default 1
   */
  readonly toleratedFailurePercentage?: number;
  /**
   * @default 2048 (more than one vCPU: model inference on wasm plus concurrent DynamoDB reads)
   */
  readonly shardMemorySize?: number;
  /**
   * @default Duration.minutes(15), Lambda's maximum
   */
  readonly shardTimeout?: Duration;
  /**
   * The whole execution's limit: a stuck run fails (and is seen) before the next day's.
   * @default Duration.hours(2)
   */
  readonly executionTimeout?: Duration;
  /**
   * Retention of the state machine's execution log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default true
   */
  readonly scheduleEnabled?: boolean;
}

/**
 * Scheduled scoring of every customer as a Standard Step Functions state machine started daily
 * by EventBridge Scheduler, its definition functions/jobs/distributed-definitions.ts (the JSON the
 * local runner executes):
 *
 *   PrepareScoring (plan-scoring: champion versions, score time, the manifest of customer
 *     segments written to s3://<registry bucket>/jobs/scoring/<scoredAt>/manifest.json)
 *   -> ScoreShards: Distributed Map, ItemReader from the manifest, ItemBatcher (segmentsPerBatch),
 *      EXPRESS child executions of ScoreShard (score-segments), at most maxConcurrency at a time,
 *      ToleratedFailurePercentage, ResultWriter to jobs/scoring-results/
 *   -> Summarise; on any error RecordFailure -> ScoringFailed (the original error and cause).
 *
 * No worker holds more than one page of customers' events; the population scales by segments.
 */
export class Scoring extends Construct {
  public readonly prepare: WinbackFunction;
  public readonly scoreShard: WinbackFunction;
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly jobSchedule: JobSchedule;

  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 40;
    const churnThreshold = props.churnThreshold ?? DEFAULT_CHURN_THRESHOLD;
    const segmentsPerBatch = props.segmentsPerBatch ?? 5;
    const segmentCustomers = props.segmentCustomers ?? DEFAULT_SEGMENT_CUSTOMERS;
    const toleratedFailurePercentage = props.toleratedFailurePercentage ?? 1;
    this.validate(maxConcurrency, churnThreshold, segmentsPerBatch, segmentCustomers, toleratedFailurePercentage);

    const environment: FunctionEnvironment = {
      ...props.environment,
      MODEL_REGISTRY_URI: props.registry.uri,
      CHURN_THRESHOLD: String(churnThreshold),
      JOB_BUCKET: props.registry.bucket.bucketName,
      JOB_SEGMENT_CUSTOMERS: String(segmentCustomers),
    };

    const prepareTimeout = Duration.minutes(15);
    this.prepare = new WinbackFunction(this, 'PrepareScoring', {
      entry: functionEntry('plan-scoring'),
      serviceName: 'prepare-scoring',
      description: 'Resolves the champion model versions and the score time, and writes the manifest of customer segments to score',
      timeout: prepareTimeout,
      environment,
    });
    props.registry.grantRead(this.prepare);
    props.eventStore.grantEventReader(this.prepare);
    props.registry.grantJobObjects(this.prepare, 'scoring', ['s3:PutObject'], 'the scoring manifests');

    const tfjs = tfjsWasmPackaging(this);
    const shardTimeout = props.shardTimeout ?? Duration.minutes(15);
    this.scoreShard = new WinbackFunction(this, 'ScoreShard', {
      entry: functionEntry('score-segments'),
      serviceName: 'score-shard',
      description: "Scores a batch of customer segments (churn, propensity, CLV, tier, stage, reasons) and records threshold crossings",
      memorySize: props.shardMemorySize ?? 2048,
      timeout: shardTimeout,
      bundledFiles: tfjs.bundledFiles,
      environment: { ...environment, ...tfjs.environment },
    });
    props.registry.grantRead(this.scoreShard);
    props.registry.grantScoreSnapshots(this.scoreShard);
    props.eventStore.grantScoreWriter(this.scoreShard);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const seconds = (d: Duration): number => d.toSeconds();
    this.stateMachine = new DistributedJobStateMachine(this, 'Job', {
      stateMachineName: `${Stack.of(this).stackName}-scoring`,
      comment: 'winback: score every customer, a Distributed Map over customer segments',
      definition: scoringDefinition(
        { prepare: this.prepare.function.functionArn, scoreShard: this.scoreShard.function.functionArn },
        {
          bucket: props.registry.bucket.bucketName,
          timeoutSeconds: seconds(props.executionTimeout ?? Duration.hours(2)),
          // Explicit, beyond the functions' own timeouts (Lambda's fires first).
          taskTimeoutSeconds: { plan: seconds(prepareTimeout.plus(TASK_TIMEOUT_MARGIN)), worker: seconds(shardTimeout.plus(TASK_TIMEOUT_MARGIN)) },
        },
        { maxConcurrency, maxItemsPerBatch: segmentsPerBatch, toleratedFailurePercentage },
      ),
      invokes: [this.prepare, this.scoreShard],
      registry: props.registry,
      manifestPrefix: 'scoring',
      resultPrefix: 'scoring-results',
      logGroup: this.logGroup,
    }).stateMachine;

    this.jobSchedule = new JobSchedule(this, 'Daily', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ hour: '4', minute: '0' }),
      description: 'winback: daily scoring of every customer',
      deadLetterQueueName: JOB_DEAD_LETTER_QUEUES.scoring,
      enabled: props.scheduleEnabled,
      target: (base) =>
        new targets.StepFunctionsStartExecution(this.stateMachine, {
          ...base,
          // The tick's own time, the same on every redelivery of that tick: score items keyed by
          // customer and scoredAt converge if Scheduler (at least once) starts a tick twice.
          input: scheduler.ScheduleTargetInput.fromObject({ scoredAt: scheduler.ContextAttribute.scheduledTime }),
        }),
    });
  }

  public get deadLetterQueue(): JobSchedule['deadLetterQueue'] {
    return this.jobSchedule.deadLetterQueue;
  }

  private validate(maxConcurrency: number, churnThreshold: number, segmentsPerBatch: number, segmentCustomers: number, tolerated: number): void {
    requireIntegerIn(this, 'maxConcurrency', maxConcurrency, 1, 10_000, "(a Distributed Map's limit)");
    requireIntegerIn(this, 'segmentsPerBatch', segmentsPerBatch, 1, 100, '');
    requireIntegerIn(this, 'segmentCustomers', segmentCustomers, 1, 100_000, '');
    requireIntegerIn(this, 'toleratedFailurePercentage', tolerated, 0, 100, '');
    if (!Token.isUnresolved(churnThreshold) && !(churnThreshold > 0 && churnThreshold < 1)) {
      throw new InfraConfigError(this, `churnThreshold must be a probability strictly between 0 and 1, got ${churnThreshold}`);
    }
  }
}
