import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { fanoutDefinition, journeyDefinition, type Asl } from '../../functions/journeys/state-machine.js';
import { InfraConfigError, requireIntegerIn } from '../errors.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry, PROJECT_ROOT } from '../paths.js';
import { CONFIGURATION_SET_NAME } from '../../kernel/settings.js';
import type { EventStore } from './event-store.js';
import { JobSchedule } from './job-schedule.js';
import type { UnsubscribeSecret } from './unsubscribe-secret.js';
import type { ModelRegistry } from './model-registry.js';
import { tfjsWasmPackaging } from '../tfjs-wasm.js';
import { WinbackFunction, type BundledFiles } from './winback-function.js';

/** Physical name of the trigger sweep's Scheduler dead-letter queue. */
export const CAMPAIGN_TRIGGERS_DLQ_NAME = 'winback-campaign-triggers-dlq';

export interface CampaignsProps {
  readonly eventStore: EventStore;
  /** Variables shared by every function (TABLE_NAME, ...). */
  readonly environment?: FunctionEnvironment;
  /**
   * Extra variables of the journey function, which sends (PUBLIC_BASE_URL, sender address...).
   * @default - none
   */
  readonly sendEnvironment?: FunctionEnvironment;
  /**
   * The key unsubscribe links and coupon codes are signed with. Only the functions that sign
   * or derive with it (today: the journey function, through functions/journeys/send-step.ts) may read it.
   */
  readonly unsubscribeSecret: UnsubscribeSecret;
  /**
   * Where the fan-out reads the uplift champion for targeting by uplift or expected value
   * (functions/campaigns/targeting.ts; read-only, with the TF.js wasm backend to score it).
   * @default - none: targeted campaigns can target by churn only
   */
  readonly registry?: ModelRegistry;
  /**
   * The verified SES identity mail is sent from (a domain such as `example.com` or an address);
   * the journey function may use only that identity (and the winback configuration set).
   * @default - any identity of the account and region (`identity/*`), acknowledged for cdk-nag
   */
  readonly senderIdentity?: string;
  /**
   * Directory of the campaign definitions shipped with the functions (`*.yaml` and `templates/`).
   * @default <project>/campaigns
   */
  readonly campaignsDir?: string;
  /**
   * How often the trigger sweep runs (score crossings, cart abandonment, first orders, tier
   * upgrades, schedule ticks). Its look-back window must cover at least two periods.
   * @default rate(15 minutes)
   */
  readonly triggerSchedule?: scheduler.ScheduleExpression;
  /** @default true */
  readonly triggerScheduleEnabled?: boolean;
  /**
   * Audience shards the fan-out processes at once (1-16; the registry has 16 shards).
   * @default 16
   */
  readonly fanoutConcurrency?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The campaign engine's orchestration (issue 4):
 *
 *  - Journey state machines: the generic interpreter of functions/journeys/state-machine.ts, one
 *    ASL for two machines. One deployment serves every campaign, so a new or edited campaign file
 *    needs no state machine change. Journeys start on the EXPRESS machine (billed per execution and
 *    duration: a one-send journey is one task, three transitions); a journey that must wait (days,
 *    quiet hours, the cap) is handed to the STANDARD machine under its deterministic name, where it
 *    may wait up to a year. Exactly-once sending rests on the ledger's conditional claim, and a
 *    duplicated trigger on the entry's conditional put and the active-journey lock (Express does
 *    not refuse a second start of a name; Standard does, which keeps a re-run hand-off single).
 *  - Fan-out state machine: schedule and segment runs, an inline Map over the 16 customer-registry
 *    shards; each iteration pages its shard in a loop (one Lambda call per page of members, each
 *    starting journeys with deterministic names). Not a Distributed Map: the audience already
 *    lives in 16 DynamoDB partitions rather than an S3 manifest (Distributed Map's item source),
 *    each page is a single Lambda call however many members it starts, so a million customers
 *    is ~16 x 1,000 page iterations, well inside an inline Map's 25,000-event history; and the
 *    same ASL runs under aws-local-stepfunctions, which has no ItemReader. Past ~10 million
 *    members the shard loop is where a Distributed Map over an exported manifest would go.
 *  - Three functions: journey (run: entry, send-time checks, render, send, advance, branch;
 *    recordFailure), fan-out and the trigger sweep (EventBridge Scheduler, every 15 minutes).
 *
 * Both machines: X-Ray tracing, ALL-level logging without execution data (state carries customer
 * ids), AWS's retry guidance on every Lambda task, and a Catch to a RecordFailure task then a Fail
 * state: a failure is recorded on the entry and fails the execution, never dropped.
 */
export class Campaigns extends Construct {
  public readonly journeyFunction: WinbackFunction;
  public readonly fanoutFunction: WinbackFunction;
  public readonly triggersFunction: WinbackFunction;
  /** Express: where journeys start. */
  public readonly journeyStateMachine: sfn.StateMachine;
  /** Standard: the journeys that wait, handed over by the Express machine. */
  public readonly journeyWaitStateMachine: sfn.StateMachine;
  public readonly fanoutStateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly triggerSchedule: JobSchedule;

  constructor(scope: Construct, id: string, props: CampaignsProps) {
    super(scope, id);
    const fanoutConcurrency = props.fanoutConcurrency ?? 16;
    requireIntegerIn(this, 'fanoutConcurrency', fanoutConcurrency, 1, 16);
    const stack = Stack.of(this);
    const bundledFiles = campaignFiles(this, props.campaignsDir ?? join(PROJECT_ROOT, 'campaigns'));
    // In Lambda the working directory is /var/task, where bundledFiles puts campaigns/.
    const environment: FunctionEnvironment = { ...props.environment, CAMPAIGNS_DIR: 'campaigns' };
    const fn = (fid: string, name: string, description: string, extra: FunctionEnvironment = {}, timeout = Duration.seconds(60), extraFiles: readonly BundledFiles[] = []) =>
      new WinbackFunction(this, fid, {
        entry: functionEntry(name),
        serviceName: name,
        description,
        timeout,
        environment: { ...environment, ...extra },
        bundledFiles: [...bundledFiles, ...extraFiles],
      });

    this.journeyFunction = fn(
      'Journey',
      'campaign-journey',
      'Campaign journeys: entry, send-time checks, render and send exactly once (ledger, SES), advance; record failure',
      { ...props.unsubscribeSecret.environment, ...props.sendEnvironment },
      Duration.seconds(120),
    );
    props.unsubscribeSecret.grantRead(this.journeyFunction);
    props.eventStore.grantEventWriter(this.journeyFunction);
    this.journeyFunction.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: props.senderIdentity ?? '*' }),
          stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: CONFIGURATION_SET_NAME }),
        ],
      }),
    );
    if (!props.senderIdentity) {
      Validations.of(this.journeyFunction).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]`,
        reason: 'ses:SendEmail on the account\'s verified identities until the deployer names one (Campaigns senderIdentity); SES only sends from verified identities, and the configuration set is named exactly.',
      });
    }

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const journeyFns = { journey: this.journeyFunction.function.functionArn };
    this.journeyWaitStateMachine = this.stateMachine(
      'JourneyWaitStateMachine',
      'winback: a campaign journey that waits (handed over by the Express journey machine)',
      journeyDefinition(journeyFns),
      [this.journeyFunction],
      sfn.StateMachineType.STANDARD,
    );
    this.journeyStateMachine = this.stateMachine(
      'JourneyStateMachine',
      'winback: one campaign journey (campaign, customer, trigger instance)',
      journeyDefinition(journeyFns, { express: { waitMachineArn: this.journeyWaitStateMachine.stateMachineArn } }),
      [this.journeyFunction],
      sfn.StateMachineType.EXPRESS,
    );
    this.journeyWaitStateMachine.grantStartExecution(this.journeyStateMachine);

    // Targeting by uplift or expected value scores candidates with the registry's uplift champion.
    const tfjs = props.registry ? tfjsWasmPackaging(this) : undefined;
    this.fanoutFunction = fn(
      'Fanout',
      'campaign-fanout',
      'Resolves one audience shard page and starts a journey per member',
      {
        JOURNEY_STATE_MACHINE_ARN: this.journeyStateMachine.stateMachineArn,
        ...(props.registry && tfjs ? { MODEL_REGISTRY_URI: props.registry.uri, ...tfjs.environment } : {}),
      },
      Duration.seconds(300),
      tfjs?.bundledFiles ?? [],
    );
    props.registry?.grantRead(this.fanoutFunction);
    props.eventStore.grantEventWriter(this.fanoutFunction);
    this.journeyStateMachine.grantStartExecution(this.fanoutFunction);

    this.fanoutStateMachine = this.stateMachine(
      'FanoutStateMachine',
      'winback: audience fan-out of a scheduled or segment campaign run',
      fanoutDefinition({ fanout: this.fanoutFunction.function.functionArn }, { maxConcurrency: fanoutConcurrency }),
      [this.fanoutFunction],
      sfn.StateMachineType.STANDARD,
    );
    this.journeyStateMachine.grantStartExecution(this.fanoutStateMachine);

    this.triggersFunction = fn(
      'Triggers',
      'campaign-triggers',
      'Sweeps score crossings, events, tier changes and schedule ticks and starts journeys',
      {
        JOURNEY_STATE_MACHINE_ARN: this.journeyStateMachine.stateMachineArn,
        FANOUT_STATE_MACHINE_ARN: this.fanoutStateMachine.stateMachineArn,
      },
      Duration.minutes(5),
    );
    // Reads, plus the per-campaign tier snapshots the tier-upgrade trigger keeps.
    props.eventStore.grantEventWriter(this.triggersFunction);
    this.journeyStateMachine.grantStartExecution(this.triggersFunction);
    this.fanoutStateMachine.grantStartExecution(this.triggersFunction);

    this.triggerSchedule = new JobSchedule(this, 'TriggerSweep', {
      schedule: props.triggerSchedule ?? scheduler.ScheduleExpression.rate(Duration.minutes(15)),
      description: 'winback: campaign trigger sweep',
      deadLetterQueueName: CAMPAIGN_TRIGGERS_DLQ_NAME,
      enabled: props.triggerScheduleEnabled,
      target: (base) =>
        new targets.LambdaInvoke(this.triggersFunction.function, {
          ...base,
          // The tick's own time: a redelivered tick sweeps the same window and starts the same names.
          input: scheduler.ScheduleTargetInput.fromObject({ at: scheduler.ContextAttribute.scheduledTime }),
        }),
    });
    this.triggerSchedule.acknowledgeLambdaTarget(this.triggersFunction.function);
  }

  private stateMachine(id: string, comment: string, definition: Asl, invokes: readonly WinbackFunction[], type: sfn.StateMachineType): sfn.StateMachine {
    const stack = Stack.of(this);
    const machine = new sfn.StateMachine(this, id, {
      comment,
      stateMachineType: type,
      // The same JSON the local runner executes; CDK resolves the function ARN tokens inside it.
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Inputs and outputs carry customer ids and eligibility reasons; the execution history
        // keeps them (90 days, behind states:GetExecutionHistory), the log group does not.
        includeExecutionData: false,
      },
    });
    // Unqualified ARNs only (the ASL names no version or alias): no `:*` wildcard.
    machine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invokes.map((f) => f.function.functionArn) }),
    );
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the actions with no resource-level permissions use "*": CloudWatch Logs vended-log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets), as Step Functions documents for logging and tracing.',
    });
    return machine;
  }
}

/** The campaign files the functions ship with: `*.yaml` into campaigns/, templates into campaigns/templates/. */
export function campaignFiles(scope: Construct, dir: string): BundledFiles[] {
  if (!existsSync(dir)) throw new InfraConfigError(scope, `campaign directory ${dir} does not exist`);
  const list = (d: string, match: (f: string) => boolean): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).filter((e) => e.isFile() && match(e.name)).map((e) => join(d, e.name)).sort() : [];
  const sets: BundledFiles[] = [];
  const definitions = list(dir, (f) => /\.ya?ml$/.test(f));
  if (definitions.length > 0) sets.push({ targetDir: 'campaigns', sourceFiles: definitions });
  const templates = list(join(dir, 'templates'), () => true);
  if (templates.length > 0) sets.push({ targetDir: 'campaigns/templates', sourceFiles: templates });
  return sets;
}
