/**
 * The Amazon States Language of the campaign state machines, built by one function each and used
 * by both the CDK construct (infra/constructs/campaigns.ts) and the local runner
 * (scripts/local/stepfunctions.ts): the same JSON runs in AWS and under aws-local-stepfunctions.
 *
 * Journey machines: a generic interpreter. One deployment serves every campaign; the campaign's
 * steps are data, walked by one task (functions/journeys/run.ts) that goes as far as it can in one
 * invocation (entry, checks, render, send, advance, branch) and stops when the journey must wait
 * or has ended:
 *
 *   Run -> Next? (Choice): $.outcome set        -> Done
 *                          $.journey.wakeAt set -> Wait (TimestampPath) -> Run     (Standard)
 *                                               -> HandOff -> Done                 (Express)
 *   a Run failure after its retries -> RecordFailure -> JourneyFailed (Fail)
 *
 * A one-send journey is Run, Next?, Done: three state transitions. Two machines share this ASL:
 *  - journeys start on an EXPRESS machine (billed per request and duration, not per transition;
 *    at most 5 minutes), which is the whole journey when it never has to wait;
 *  - a journey that must wait (a wait step, a wait-until poll, quiet hours, the frequency cap) is
 *    handed off to the STANDARD machine, started with the journey's state under its deterministic
 *    execution name (so a re-run of the Express execution, which is at-least-once, hands off once:
 *    ExecutionAlreadyExists ends it); that machine starts at Next? and waits there for days.
 * Exactly-once sending does not depend on either: every send claims its ledger item (keyed by the
 * execution name) with a conditional write before SES is called.
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
  /** run / recordFailure */
  readonly journey: string;
}

/**
 * Which of the two journey machines: `express` names the Standard machine it hands waiting
 * journeys to; without it, the Standard machine itself.
 */
export interface JourneyMachineOptions {
  readonly express?: { readonly waitMachineArn: string };
}

export interface FanoutFunctions {
  /** plan / page / summarize / recordFailure */
  readonly fanout: string;
}

/** State names: the local runner keys its Lambda overrides by them, and the tests read them. */
export const JOURNEY_STATES = {
  run: 'Run',
  next: 'Next?',
  wait: 'Wait',
  handOff: 'HandOff',
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
/** The journey task may render and send several emails in one invocation (back-to-back send steps). */
export const TASK_TIMEOUT_SECONDS = { journey: 120, fanout: 300 } as const;

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

/** Step Functions' own transient errors of the StartExecution integration (HandOff). */
export const START_EXECUTION_RETRYABLE = ['StepFunctions.SdkClientException', 'StepFunctions.StepFunctionsException', 'StepFunctions.ThrottlingException'] as const;
export const EXECUTION_ALREADY_EXISTS = 'StepFunctions.ExecutionAlreadyExistsException';

export function journeyDefinition(fns: JourneyFunctions, opts: JourneyMachineOptions = {}): Asl {
  const S = JOURNEY_STATES;
  const t = TASK_TIMEOUT_SECONDS;
  const express = opts.express;
  const states: Record<string, Record<string, unknown>> = {
    [S.run]: lambdaTask({
      functionArn: fns.journey,
      payload: { action: 'run', 'state.$': '$' },
      next: S.next,
      timeoutSeconds: t.journey,
      catchTo: S.recordFailure,
      comment: 'Entry, send-time checks, render, send exactly once, advance, branch: until the journey waits or ends',
    }),
    [S.next]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.outcome', IsPresent: true, Next: S.done },
        { Variable: '$.journey.wakeAt', IsPresent: true, Next: express ? S.handOff : S.wait },
      ],
      Default: S.run,
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
  };
  if (express) {
    states[S.handOff] = {
      Type: 'Task',
      Comment: 'The journey must wait (hours or days): it continues on the Standard machine under the same name',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { StateMachineArn: express.waitMachineArn, 'Name.$': '$.journey.name', 'Input.$': '$' },
      ResultPath: null,
      TimeoutSeconds: 60,
      Retry: [{ ErrorEquals: [...START_EXECUTION_RETRYABLE], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: 'FULL' }],
      Catch: [
        // A re-run of this (at-least-once) Express execution: the continuation already exists.
        { ErrorEquals: [EXECUTION_ALREADY_EXISTS], ResultPath: null, Next: S.done },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.recordFailure },
      ],
      Next: S.done,
    };
  } else {
    states[S.wait] = { Type: 'Wait', Comment: 'A wait step, a wait-until poll interval, quiet hours or the frequency cap', TimestampPath: '$.journey.wakeAt', Next: S.run };
  }
  return {
    Comment: express
      ? 'winback campaign journey (Express): one execution per (campaign, customer, trigger instance), handed to the Standard machine when it must wait'
      : 'winback campaign journey (Standard): the journeys that wait, handed over by the Express machine',
    StartAt: express ? S.run : S.next,
    States: states,
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
