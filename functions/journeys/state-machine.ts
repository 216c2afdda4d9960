/**
 * The Amazon States Language of the two campaign state machines, built by one function each and
 * used by both the CDK construct (infra/constructs/campaigns.ts) and the local runner
 * (scripts/local/stepfunctions.ts): the same JSON runs in AWS and under aws-local-stepfunctions.
 *
 * Journey machine: a generic interpreter. One deployment serves every campaign; the campaign's
 * steps are data (read by LoadCampaign/Advance), and the machine walks them with a cursor:
 *
 *   LoadCampaign -> Step (Choice on $.journey.step.type)
 *     send      -> CheckEligibility -> Eligible? (eligible -> Send -> Advance -> Step;
 *                                                 delay (quiet hours) -> QuietHours wait -> CheckEligibility;
 *                                                 otherwise -> Exit)
 *     wait      -> Wait (TimestampPath) -> Advance -> Step
 *     waitUntil -> WaitUntil (poll interval) -> CheckWaitUntil -> Step (loops until the event or the timeout)
 *     branch    -> Branch -> Step
 *     exit      -> Exit;  converted -> Converted;  end -> Completed   (each records the outcome, then Done)
 *   any Task failure after its retries -> RecordFailure -> JourneyFailed (Fail)
 *
 * Fan-out machine (schedule and segment campaigns): Plan -> FanOut (Map over the audience sources:
 * the value-tier partitions of the audience index, else the 16 customer-registry shards; each
 * iteration pages its source and starts one journey per member) -> Summarize.
 */

export type Asl = {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
};

/** Lambda function ARNs (CDK tokens in the construct, local ARNs in the runner). */
export interface JourneyFunctions {
  /** load / advance / branch / poll / finish / recordFailure */
  readonly journey: string;
  readonly eligibility: string;
  readonly send: string;
}

export interface FanoutFunctions {
  /** plan / page / summarize / recordFailure */
  readonly fanout: string;
}

/** State names: the local runner keys its Lambda overrides by them, and the tests read them. */
export const JOURNEY_STATES = {
  load: 'LoadCampaign',
  step: 'Step',
  checkEligibility: 'CheckEligibility',
  eligible: 'Eligible?',
  quietHours: 'QuietHours',
  send: 'Send',
  advance: 'Advance',
  wait: 'Wait',
  waitUntil: 'WaitUntil',
  checkWaitUntil: 'CheckWaitUntil',
  branch: 'Branch',
  exit: 'Exit',
  converted: 'Converted',
  completed: 'Completed',
  unknownStep: 'UnknownStep',
  recordFailure: 'RecordFailure',
  done: 'Done',
  failed: 'JourneyFailed',
} as const;

export const FANOUT_STATES = {
  plan: 'Plan',
  fanOut: 'FanOut',
  page: 'StartJourneys',
  more: 'MorePages?',
  shardDone: 'ShardDone',
  summarize: 'Summarize',
  recordFailure: 'RecordFanoutFailure',
  failed: 'FanoutFailed',
  done: 'Done',
} as const;

/**
 * AWS guidance for Lambda tasks (Step Functions developer guide, "Handling transient Lambda
 * service exceptions"): retry the Lambda service's own transient errors with backoff.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** winback's retryable errors (throttling, unprocessed writes), thrown by the handlers with this name. */
export const RETRYABLE_ERRORS = ['RetryableError', 'JourneyStartError'] as const;

export const TASK_RETRY = [
  { ErrorEquals: [...LAMBDA_SERVICE_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
  { ErrorEquals: [...RETRYABLE_ERRORS], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
] as const;

/** Seconds each Lambda task may take before Step Functions gives up on it (States.Timeout, then Catch). */
export const TASK_TIMEOUT_SECONDS = { journey: 60, eligibility: 60, send: 120, fanout: 300 } as const;

function lambdaTask(opts: {
  functionArn: string;
  payload: Record<string, unknown>;
  next: string;
  timeoutSeconds: number;
  catchTo?: string;
  comment?: string;
}): Record<string, unknown> {
  return {
    Type: 'Task',
    ...(opts.comment ? { Comment: opts.comment } : {}),
    // The optimised integration (recommended over a bare function ARN): its output is the
    // invocation result, so OutputPath keeps only the function's answer, the new journey state.
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: opts.functionArn, Payload: opts.payload },
    OutputPath: '$.Payload',
    TimeoutSeconds: opts.timeoutSeconds,
    Retry: TASK_RETRY,
    ...(opts.catchTo ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: opts.catchTo }] } : {}),
    Next: opts.next,
  };
}

export function journeyDefinition(fns: JourneyFunctions): Asl {
  const S = JOURNEY_STATES;
  const t = TASK_TIMEOUT_SECONDS;
  const journey = (action: string, next: string, comment?: string, extra: Record<string, unknown> = {}) =>
    lambdaTask({
      functionArn: fns.journey,
      payload: { action, 'state.$': '$', ...extra },
      next,
      timeoutSeconds: t.journey,
      catchTo: S.recordFailure,
      ...(comment ? { comment } : {}),
    });
  // A send step's own tasks (eligibility, send): `{ state }` in, the state out, failures recorded.
  const sendTask = (functionArn: string, next: string, timeoutSeconds: number, comment: string) =>
    lambdaTask({ functionArn, payload: { 'state.$': '$' }, next, timeoutSeconds, catchTo: S.recordFailure, comment });
  return {
    Comment: 'winback campaign journey: one execution per (campaign, customer, trigger instance); steps are read from the campaign definition',
    StartAt: S.load,
    States: {
      [S.load]: journey('load', S.step, 'Entry: campaign, sticky holdout/variant, re-entry rule, entry record'),
      [S.step]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.journey.step.type', StringEquals: 'send', Next: S.checkEligibility },
          { Variable: '$.journey.step.type', StringEquals: 'wait', Next: S.wait },
          { Variable: '$.journey.step.type', StringEquals: 'waitUntil', Next: S.waitUntil },
          { Variable: '$.journey.step.type', StringEquals: 'branch', Next: S.branch },
          { Variable: '$.journey.step.type', StringEquals: 'exit', Next: S.exit },
          { Variable: '$.journey.step.type', StringEquals: 'converted', Next: S.converted },
          { Variable: '$.journey.step.type', StringEquals: 'end', Next: S.completed },
        ],
        Default: S.unknownStep,
      },
      [S.checkEligibility]: sendTask(fns.eligibility, S.eligible, t.eligibility, 'Consent, suppression, frequency cap, quiet hours, exit criteria: at send time, every time'),
      [S.eligible]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.eligibility.decision', StringEquals: 'eligible', Next: S.send },
          { Variable: '$.eligibility.decision', StringEquals: 'delay', Next: S.quietHours },
        ],
        Default: S.exit,
      },
      [S.quietHours]: { Type: 'Wait', Comment: 'Delay, do not drop: until the quiet hours end', TimestampPath: '$.eligibility.wakeAt', Next: S.checkEligibility },
      [S.send]: sendTask(fns.send, S.advance, t.send, 'Render and send exactly once (ledger write before SES); holdout customers are recorded, not sent'),
      [S.advance]: journey('advance', S.step, 'Next step, unless the conversion goal is met (exit on conversion)'),
      [S.wait]: { Type: 'Wait', Comment: 'A duration step; wakeAt is computed by Advance on the journey clock', TimestampPath: '$.journey.wakeAt', Next: S.advance },
      [S.waitUntil]: { Type: 'Wait', Comment: 'Poll interval of a wait-until step', TimestampPath: '$.journey.wakeAt', Next: S.checkWaitUntil },
      [S.checkWaitUntil]: journey('poll', S.step, 'Event seen, timed out (both advance) or keep waiting (same step, next wakeAt)'),
      [S.branch]: journey('branch', S.step, 'Evaluates the branch condition and moves the cursor'),
      [S.exit]: journey('finish', S.done, undefined, { outcome: 'exited' }),
      [S.converted]: journey('finish', S.done, undefined, { outcome: 'converted' }),
      [S.completed]: journey('finish', S.done, undefined, { outcome: 'completed' }),
      [S.unknownStep]: {
        Type: 'Pass',
        Result: { Error: 'UnknownStep', Cause: 'the journey step type is not one the state machine knows' },
        ResultPath: '$.error',
        Next: S.recordFailure,
      },
      [S.recordFailure]: {
        ...lambdaTask({
          functionArn: fns.journey,
          payload: { action: 'recordFailure', 'state.$': '$' },
          next: S.failed,
          timeoutSeconds: t.journey,
          comment: 'Failures are recorded on the entry (and counted by the report), then the execution fails',
        }),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: S.failed }],
      },
      [S.failed]: { Type: 'Fail', Error: 'JourneyFailed', Cause: 'a journey step failed after its retries; see the entry record and the execution history' },
      [S.done]: { Type: 'Succeed' },
    },
  };
}

export interface FanoutOptions {
  /** Shards processed at once (the registry has 16). */
  readonly maxConcurrency?: number;
}

export function fanoutDefinition(fns: FanoutFunctions, opts: FanoutOptions = {}): Asl {
  const S = FANOUT_STATES;
  const task = (action: string, next: string, payload: Record<string, unknown>, catchTo?: string) =>
    lambdaTask({ functionArn: fns.fanout, payload: { action, ...payload }, next, timeoutSeconds: TASK_TIMEOUT_SECONDS.fanout, ...(catchTo ? { catchTo } : {}) });
  return {
    Comment: 'winback audience fan-out: one journey per audience member of a scheduled or segment campaign run',
    StartAt: S.plan,
    States: {
      [S.plan]: task('plan', S.fanOut, { 'state.$': '$' }, S.recordFailure),
      [S.fanOut]: {
        Type: 'Map',
        Comment: 'Inline Map over the audience sources (value-tier partitions, else the 16 registry shards); each iteration pages its source (see infra/constructs/campaigns.ts for why not Distributed)',
        ItemsPath: '$.sources',
        MaxConcurrency: opts.maxConcurrency ?? 16,
        ItemSelector: {
          'campaignId.$': '$.campaignId',
          'runId.$': '$.runId',
          'source.$': '$$.Map.Item.Value',
          started: 0,
          duplicates: 0,
          excluded: 0,
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: S.page,
          States: {
            [S.page]: task('page', S.more, { 'state.$': '$' }),
            [S.more]: {
              Type: 'Choice',
              Choices: [{ Variable: '$.cursor', IsPresent: true, Next: S.page }],
              Default: S.shardDone,
            },
            [S.shardDone]: { Type: 'Succeed' },
          },
        },
        ResultPath: '$.shardResults',
        Retry: [{ ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...RETRYABLE_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.recordFailure }],
        Next: S.summarize,
      },
      [S.summarize]: task('summarize', S.done, { 'state.$': '$' }, S.recordFailure),
      [S.recordFailure]: {
        ...task('recordFailure', S.failed, { 'state.$': '$' }),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: S.failed }],
      },
      [S.failed]: { Type: 'Fail', Error: 'FanoutFailed', Cause: 'the audience fan-out failed after its retries; see the run record' },
      [S.done]: { Type: 'Succeed' },
    },
  };
}
