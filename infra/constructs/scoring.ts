import { type CfnResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { InfraConfigError, requireIntegerIn } from '../errors.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry } from '../paths.js';
import { DEFAULT_CHURN_THRESHOLD, JOB_DEAD_LETTER_QUEUES, SCORING_STATES } from '../../kernel/settings.js';
import { tfjsWasmPackaging } from '../tfjs-wasm.js';
import type { EventStore } from './event-store.js';
import { JobSchedule } from './job-schedule.js';
import type { ModelRegistry } from './model-registry.js';
import { WinbackFunction } from './winback-function.js';

/**
 * Lambda invocation errors worth retrying (AWS guidance for Lambda tasks): the service's own
 * faults, SDK/network faults and throttling. A function's own error (a bug, bad data, a timeout)
 * is not retried: it would fail again.
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** The retry policy of every Lambda task: 2 s, doubling, 6 attempts, full jitter (~2 min at most). */
export const LAMBDA_TASK_RETRY: sfn.RetryProps = {
  errors: [...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  jitterStrategy: sfn.JitterType.FULL,
};

/** Margin of a Task state's timeout over its function's: Lambda's own timeout fires first. */
const TASK_TIMEOUT_MARGIN = Duration.minutes(1);

export interface ScoringProps {
  /** The event log: the shards read events and profiles and write score items. */
  readonly eventStore: EventStore;
  /** Where the champion models are read from (read-only). */
  readonly registry: ModelRegistry;
  /**
   * Variables shared by every function (TABLE_NAME, EVENT_RETENTION_DAYS); this construct adds
   * MODEL_REGISTRY_URI, CHURN_THRESHOLD and the TF.js wasm settings.
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
   * Shards scored at the same time (1-40 for an inline Map). Caps the Lambda concurrency and the
   * burst of score writes on the table.
   * @default 8
   */
  readonly maxConcurrency?: number;
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
 * Scheduled scoring of every customer, in parallel over customer shards, as a Standard Step
 * Functions state machine started daily by EventBridge Scheduler:
 *
 *   PrepareScoring (champion versions, score time, shard list)
 *   -> ScoreShards: Map over $.shards, at most maxConcurrency at a time
 *        -> ScoreShard (one Lambda per shard; transient Lambda errors retried)
 *   -> Summarise (per-shard counts)
 *   on any error: RecordFailure (the error, the execution) -> ScoringFailed (the execution fails
 *   with the original error and cause: a failure is never dropped).
 *
 * Tasks use the Lambda function ARN as Resource (payloadResponseOnly): the state's input is the
 * function's event and its result the state's output, the semantics aws-local-stepfunctions gives
 * the local stack, which runs this very ASL.
 */
export class Scoring extends Construct {
  public readonly prepare: WinbackFunction;
  public readonly scoreShard: WinbackFunction;
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly jobSchedule: JobSchedule;

  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 8;
    const churnThreshold = props.churnThreshold ?? DEFAULT_CHURN_THRESHOLD;
    this.validate(maxConcurrency, churnThreshold);

    const environment: FunctionEnvironment = {
      ...props.environment,
      MODEL_REGISTRY_URI: props.registry.uri,
      CHURN_THRESHOLD: String(churnThreshold),
    };

    const prepareTimeout = Duration.minutes(1);
    this.prepare = new WinbackFunction(this, 'PrepareScoring', {
      entry: functionEntry('prepare-scoring'),
      serviceName: 'prepare-scoring',
      description: 'Resolves the champion model versions and the score time, and lists the customer shards to score',
      timeout: prepareTimeout,
      environment,
    });
    props.registry.grantRead(this.prepare);

    const tfjs = tfjsWasmPackaging(this);
    const shardTimeout = props.shardTimeout ?? Duration.minutes(15);
    this.scoreShard = new WinbackFunction(this, 'ScoreShard', {
      entry: functionEntry('score-shard'),
      serviceName: 'score-shard',
      description: "Scores one shard's customers (churn, propensity, CLV, tier, stage, reasons) and records threshold crossings",
      memorySize: props.shardMemorySize ?? 2048,
      timeout: shardTimeout,
      bundledFiles: tfjs.bundledFiles,
      environment: { ...environment, ...tfjs.environment },
    });
    props.registry.grantRead(this.scoreShard);
    props.eventStore.grantScoreWriter(this.scoreShard);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = this.buildStateMachine(props, this.logGroup, maxConcurrency, prepareTimeout, shardTimeout);

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

  private buildStateMachine(props: ScoringProps, logGroup: logs.ILogGroup, maxConcurrency: number, prepareTimeout: Duration, shardTimeout: Duration): sfn.StateMachine {
    // Construct ids differ from the state names only because the functions already use these ids.
    const prepare = this.lambdaTask('PrepareScoringState', SCORING_STATES.prepare, this.prepare, prepareTimeout, 'Output: { scoredAt, shards: number[], models: { churn, propensity, clv } }');
    const scoreShard = this.lambdaTask('ScoreShardState', SCORING_STATES.scoreShard, this.scoreShard, shardTimeout, 'Output: { shard, scored, crossings }');

    const scoreShards = new sfn.Map(this, SCORING_STATES.scoreShards, {
      itemsPath: sfn.JsonPath.stringAt('$.shards'),
      itemSelector: {
        shard: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
        scoredAt: sfn.JsonPath.stringAt('$.scoredAt'),
        models: sfn.JsonPath.objectAt('$.models'),
      },
      maxConcurrency,
      resultPath: '$.results',
      comment: 'One ScoreShard per customer shard; any shard failing after its retries fails the Map',
    });
    scoreShards.itemProcessor(scoreShard);

    const summarise = new sfn.Pass(this, SCORING_STATES.summarise, {
      parameters: {
        scoredAt: sfn.JsonPath.stringAt('$.scoredAt'),
        models: sfn.JsonPath.objectAt('$.models'),
        shardCount: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.results')),
        shards: sfn.JsonPath.listAt('$.results'),
      },
    });

    // The Catch keeps the state's input and adds the error at $.error; the Pass shapes the
    // record from paths that exist whichever state failed (not $.scoredAt: PrepareScoring may
    // have failed before producing it) and in both engines (aws-local-stepfunctions fills only
    // Execution.Input and Execution.StartTime of the context object); the Fail ends the execution
    // with the original error and cause.
    const recordFailure = new sfn.Pass(this, SCORING_STATES.recordFailure, {
      parameters: {
        error: sfn.JsonPath.objectAt('$.error'),
        executionInput: sfn.JsonPath.objectAt('$$.Execution.Input'),
        executionStartedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      },
    });
    const failed = new sfn.Fail(this, SCORING_STATES.failed, {
      errorPath: sfn.JsonPath.stringAt('$.error.Error'),
      causePath: sfn.JsonPath.stringAt('$.error.Cause'),
    });
    recordFailure.next(failed);
    prepare.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    scoreShards.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'winback: score every customer, shard by shard',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(prepare.next(scoreShards).next(summarise)),
      timeout: props.executionTimeout ?? Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: sfn.LogLevel.ALL,
        // State inputs and outputs stay out of the log: today they are shard numbers, model
        // versions and counts, but the log group is readable by more people than the table, and
        // a later change (customer ids in a Distributed Map batch, an error cause quoting a
        // record) must not start copying personal data into it. The execution history keeps
        // inputs and outputs (90 days, behind states:GetExecutionHistory) for debugging.
        includeExecutionData: false,
      },
    });

    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the actions with no resource-level permissions use "*": CloudWatch Logs vended-log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets), as Step Functions documents for logging and tracing.',
    });
    for (const fn of [this.prepare, this.scoreShard]) {
      const fnLogicalId = Stack.of(this).getLogicalId(fn.function.node.defaultChild as CfnResource);
      Validations.of(stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
        reason: `lambda:InvokeFunction on the ${fn.node.id} function's versions and aliases (ARN:*), as CDK's LambdaInvoke grants; the wildcard stays within that one function.`,
      });
    }
    return stateMachine;
  }

  /** A Task state invoking `fn`, its answer the state's output, retried by LAMBDA_TASK_RETRY. */
  private lambdaTask(id: string, stateName: string, fn: WinbackFunction, fnTimeout: Duration, comment: string): sfn.TaskStateBase {
    return new tasks.LambdaInvoke(this, id, {
      stateName,
      lambdaFunction: fn.function,
      payloadResponseOnly: true,
      // Replaced by LAMBDA_TASK_RETRY: the built-in one has no jitter.
      retryOnServiceExceptions: false,
      // Explicit, also for the local emulator, whose default task timeout is 60 s.
      taskTimeout: sfn.Timeout.duration(fnTimeout.plus(TASK_TIMEOUT_MARGIN)),
      comment,
    }).addRetry(LAMBDA_TASK_RETRY);
  }

  private validate(maxConcurrency: number, churnThreshold: number): void {
    requireIntegerIn(this, 'maxConcurrency', maxConcurrency, 1, 40, "(an inline Map's effective limit)");
    if (!Token.isUnresolved(churnThreshold) && !(churnThreshold > 0 && churnThreshold < 1)) {
      throw new InfraConfigError(this, `churnThreshold must be a probability strictly between 0 and 1, got ${churnThreshold}`);
    }
  }
}
