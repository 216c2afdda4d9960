import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { dynamoClient } from '../../functions/commons/clients.js';
import { resetConfig } from '../../functions/commons/config.js';
import { WinbackError } from '../../kernel/errors.js';
import { fanoutExecutionName, journeyExecutionName } from '../../functions/journeys/execution-name.js';
import type { FanoutInput, JourneyInput, JourneyState } from '../../functions/journeys/journey-state.js';
import { setJourneyStarter, type JourneyStarter, type StartResult } from '../../functions/journeys/starter.js';
import { EXECUTION_ALREADY_EXISTS, fanoutDefinition, journeyDefinition, TASK_TIMEOUT_SECONDS, type Asl } from '../../functions/journeys/state-machine.js';
import { journeyExecutionPk, journeyExecutionSk } from '../../functions/store/keys.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.js';
import { createLambdaContext } from './lambda-context.js';

/**
 * Step Functions on the local stack: the very ASL that CDK deploys (functions/journeys/state-machine.ts),
 * executed in-process by aws-local-stepfunctions, with every Task's `lambda:invoke` answered by the
 * local handler module that the function ARN names. Waits are real waits on the scaled journey
 * clock (JOURNEY_TIME_SCALE, applied by the handlers that compute wake-up times).
 *
 * Execution-name uniqueness, which Step Functions enforces in AWS, is played by a conditional put
 * on the table (`JOURNEY#<campaign>` / `<customer>#<trigger>`): the first start of a name wins,
 * any later one is a duplicate (`started: false`), across processes sharing the data dir.
 */

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); Node 20 lacks it.
const promiseCtor = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export const LOCAL_FUNCTIONS = {
  journey: 'winback-campaign-journey',
  fanout: 'winback-campaign-fanout',
} as const;
export type LocalFunction = keyof typeof LOCAL_FUNCTIONS;

export const localFunctionArn = (fn: LocalFunction): string =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${LOCAL_FUNCTIONS[fn]}`;

/** The Standard journey machine's local ARN: what the Express machine's HandOff names. */
export const LOCAL_JOURNEY_WAIT_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:winback-journey-wait`;

export type LambdaHandler = (event: any, context: Context) => Promise<unknown>;

/** Wraps a handler (tests: fault injection), given the function and the Task state invoking it. */
export type HandlerWrapper = (fn: LocalFunction, stateName: string, handler: LambdaHandler) => LambdaHandler;

export interface LocalStepFunctionsOptions {
  readonly table: string;
  /** Journey clock scale (JOURNEY_TIME_SCALE), e.g. 0.001 locally, 1e-6 in tests. */
  readonly timeScale: number;
  /** Executions running at once (the rest wait their turn). Default 32. */
  readonly concurrency?: number;
  /** Handlers by function; default: the modules functions/campaign-*.ts. */
  readonly handlers?: Partial<Record<LocalFunction, LambdaHandler>>;
  readonly wrap?: HandlerWrapper;
  /** Milliseconds between Task retries (AWS: 2 s with backoff). Default 10. */
  readonly retryIntervalMs?: number;
  /** Install as the process's journey starter (triggers and fan-out use it). Default true. */
  readonly install?: boolean;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** journey: the Express journey machine; journeyWait: the Standard one it hands waiting journeys to. */
export type LocalMachine = 'journey' | 'journeyWait' | 'fanout';

export interface ExecutionRecord {
  readonly name: string;
  readonly machine: LocalMachine;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
}

export class UnknownLocalFunctionError extends WinbackError {}

/** What Step Functions answers to a second start of a name: the ASL catches it by this name. */
export class ExecutionAlreadyExistsError extends Error {
  override readonly name = EXECUTION_ALREADY_EXISTS;
}

interface Queued {
  readonly machine: LocalMachine;
  readonly name: string;
  readonly key: { pk: string; sk: string };
  readonly input: object;
}

export class LocalStepFunctions implements JourneyStarter {
  private readonly machines: Record<LocalMachine, { readonly asl: Asl; readonly sm: StateMachine }>;
  /** Express executions that handed their journey to the Standard machine: its record is the journey's. */
  private readonly handedOff = new Set<string>();
  private readonly byArn: Map<string, { fn: LocalFunction; handler: LambdaHandler }>;
  private readonly queue: Queued[] = [];
  private running = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly results = new Map<string, ExecutionRecord>();
  private closed = false;
  private aborted = false;
  private readonly inFlight = new Set<{ abort(): void }>();
  /**
   * States entered (and retries, as `Retry`) per machine and state type, counted from each
   * execution's event log: the state transitions Step Functions Standard bills. Read-only; the
   * cost benchmarks read it.
   */
  readonly stateTransitions: Record<LocalMachine, Record<string, number>> = { journey: {}, journeyWait: {}, fanout: {} };
  /**
   * What Express bills for the journey machine: executions (requests) and their durations rounded
   * up to 100 ms. Read-only; the cost benchmark reads it.
   */
  readonly expressUsage = { executions: 0, billedMs: 0 };
  /** Executions run to their end, per machine. */
  readonly executionCounts: Record<LocalMachine, number> = { journey: 0, journeyWait: 0, fanout: 0 };

  private constructor(
    private readonly opts: LocalStepFunctionsOptions,
    handlers: Record<LocalFunction, LambdaHandler>,
  ) {
    this.concurrency = opts.concurrency ?? 32;
    const fns = { journey: localFunctionArn('journey') };
    // Validated once here (asl-validator inside aws-local-stepfunctions), as CreateStateMachine would.
    const machine = (asl: Asl) => ({ asl, sm: new StateMachine(asl as never) });
    this.machines = {
      journey: machine(journeyDefinition(fns, { express: { waitMachineArn: LOCAL_JOURNEY_WAIT_MACHINE_ARN } })),
      journeyWait: machine(journeyDefinition(fns)),
      fanout: machine(fanoutDefinition({ fanout: localFunctionArn('fanout') })),
    };
    this.byArn = new Map(
      (Object.keys(LOCAL_FUNCTIONS) as LocalFunction[]).map((fn) => [localFunctionArn(fn), { fn, handler: handlers[fn] }]),
    );
  }

  /**
   * Sets JOURNEY_TIME_SCALE for the handlers (they read it through their config), loads the
   * handler modules (after the environment, as Lambda does) and installs the runner as the
   * process's journey starter.
   */
  static async create(opts: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
    process.env['JOURNEY_TIME_SCALE'] = String(opts.timeScale);
    resetConfig();
    const load = async (fn: LocalFunction): Promise<LambdaHandler> => {
      if (opts.handlers?.[fn]) return opts.handlers[fn]!;
      const mod = (await import(`../../functions/campaign-${fn}.ts`)) as { handler: LambdaHandler };
      return mod.handler;
    };
    const handlers = { journey: await load('journey'), fanout: await load('fanout') };
    const runner = new LocalStepFunctions(opts, handlers);
    if (opts.install ?? true) setJourneyStarter(runner);
    return runner;
  }

  startJourney(input: JourneyInput): Promise<StartResult> {
    const name = journeyExecutionName(input);
    return this.admit({
      machine: 'journey',
      name,
      key: { pk: journeyExecutionPk(input.campaignId), sk: journeyExecutionSk(input.customerId, input.triggerId) },
      input,
    });
  }

  startFanout(input: FanoutInput): Promise<StartResult> {
    const name = fanoutExecutionName(input.campaignId, input.runId);
    return this.admit({
      machine: 'fanout',
      name,
      key: { pk: journeyExecutionPk(input.campaignId), sk: journeyExecutionSk('audience', input.runId) },
      input,
    });
  }

  /** Resolves once no execution is queued or running (executions started meanwhile included). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Executions this runner ran, by name (for the CLI summary and tests). */
  get executions(): ReadonlyMap<string, ExecutionRecord> {
    return this.results;
  }

  /** The stored record of an execution name (any process), e.g. to show a duplicate's first run. */
  async describe(campaignId: string, customerId: string, triggerId: string): Promise<ExecutionRecord | undefined> {
    const out = await dynamoClient().send(
      new GetCommand({
        TableName: this.opts.table,
        Key: { pk: journeyExecutionPk(campaignId), sk: journeyExecutionSk(customerId, triggerId) },
        ConsistentRead: true,
      }),
    );
    return out.Item as ExecutionRecord | undefined;
  }

  /** Stops admitting executions and uninstalls the starter; running ones finish (await idle()). */
  close(): void {
    this.closed = true;
    setJourneyStarter(undefined);
  }

  /**
   * Closes and abandons what is running or queued (a serving `winback start` stopping): their
   * timers would otherwise keep calling handlers against a stack that is shutting down. Their
   * records stay RUNNING, as a process that died would leave them.
   */
  abort(): void {
    this.close();
    this.aborted = true;
    this.queue.length = 0;
    for (const execution of this.inFlight) execution.abort();
  }

  /** `continuation`: a running journey handing off, admitted after close() too (close stops new journeys only). */
  private async admit(q: Queued, continuation = false): Promise<StartResult> {
    if (this.aborted || (this.closed && !continuation)) throw new WinbackError('the local Step Functions runner is closed');
    const startedAt = new Date().toISOString();
    try {
      await dynamoClient().send(
        new PutCommand({
          TableName: this.opts.table,
          Item: { ...q.key, name: q.name, machine: q.machine, status: 'RUNNING', startedAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { executionName: q.name, started: false };
      throw error;
    }
    this.results.set(q.name, { name: q.name, machine: q.machine, status: 'RUNNING', startedAt });
    this.queue.push(q);
    this.pump();
    return { executionName: q.name, started: true };
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running++;
      void this.execute(next).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async execute(q: Queued): Promise<void> {
    const { sm: machine, asl } = this.machines[q.machine];
    const startedAt = this.results.get(q.name)?.startedAt ?? new Date().toISOString();
    const taskStates = taskStateNames(asl);
    const retryIntervalMs = this.opts.retryIntervalMs ?? 10;
    const execution = machine.run(q.input as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          taskStates.map((name) => [name, (input: unknown) => this.invoke(name, input) as Promise<never>]),
        ),
        retryIntervalOverrides: Object.fromEntries(taskStates.map((name) => [name, retryIntervalMs])),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:winback-${q.machine}:${q.name}`,
          Name: q.name,
          Input: q.input as never,
          StartTime: startedAt,
        },
      },
    });
    void this.countTransitions(q.machine, execution.eventLogs);
    this.inFlight.add(execution);
    let record: ExecutionRecord;
    try {
      const output = await execution.result;
      record = { name: q.name, machine: q.machine, status: 'SUCCEEDED', startedAt, stoppedAt: new Date().toISOString(), output };
    } catch (error) {
      const { name, cause } = failureOf(error);
      record = { name: q.name, machine: q.machine, status: 'FAILED', startedAt, stoppedAt: new Date().toISOString(), error: name, cause };
    }
    this.inFlight.delete(execution);
    this.executionCounts[q.machine]++;
    if (q.machine === 'journey') {
      this.expressUsage.executions++;
      this.expressUsage.billedMs += Math.ceil(Math.max(1, Date.parse(record.stoppedAt!) - Date.parse(startedAt)) / 100) * 100;
    }
    if (this.aborted) return;
    // A handed-off journey goes on under the same name on the Standard machine: that record is the journey's.
    if (!(q.machine === 'journey' && this.handedOff.has(q.name))) this.results.set(q.name, record);
    await dynamoClient()
      .send(
        new UpdateCommand({
          TableName: this.opts.table,
          Key: q.key,
          UpdateExpression: 'SET #s = :s, stoppedAt = :t, #e = :e',
          ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          ExpressionAttributeValues: { ':s': record.status, ':t': record.stoppedAt, ':e': record.error ?? null },
        }),
      )
      .catch(() => undefined);
  }

  private async countTransitions(machine: LocalMachine, events: AsyncIterable<{ type: string; state?: { type: string } }>): Promise<void> {
    const counts = this.stateTransitions[machine];
    try {
      for await (const e of events) {
        const key = e.type === 'StateEntered' ? e.state?.type : e.type === 'StateRetried' ? 'Retry' : undefined;
        if (key) counts[key] = (counts[key] ?? 0) + 1;
      }
    } catch {
      // Counting never fails an execution.
    }
  }

  /**
   * The `arn:aws:states:::states:startExecution` integration (the Express machine's HandOff): the
   * Standard journey machine started under the given name, once; a name already used fails with
   * the error Step Functions names, which the ASL catches.
   */
  private async startExecution(stateName: string, input: { StateMachineArn: string; Name: string; Input: JourneyState }): Promise<unknown> {
    if (input.StateMachineArn !== LOCAL_JOURNEY_WAIT_MACHINE_ARN) throw new UnknownLocalFunctionError(`no local state machine ${input.StateMachineArn} (state ${stateName})`);
    const state = input.Input;
    this.handedOff.add(input.Name);
    const out = await this.admit({
      machine: 'journeyWait',
      name: input.Name,
      key: { pk: journeyExecutionPk(state.campaignId), sk: `${journeyExecutionSk(state.customerId, state.triggerId)}#wait` },
      input: JSON.parse(JSON.stringify(state)),
    }, true);
    if (!out.started) throw new ExecutionAlreadyExistsError(`an execution named ${input.Name} already exists`);
    return { ExecutionArn: `${input.StateMachineArn.replace(':stateMachine:', ':execution:')}:${input.Name}`, StartDate: new Date().toISOString() };
  }

  /**
   * The `arn:aws:states:::lambda:invoke` integration: Parameters gave `{ FunctionName, Payload }`;
   * the function's answer comes back as `{ Payload, StatusCode }`, which the ASL's OutputPath
   * (`$.Payload`) unwraps exactly as in AWS. A thrown error keeps its name, which is what Retry
   * and Catch match (Lambda reports it as the error type).
   */
  private async invoke(stateName: string, input: unknown): Promise<unknown> {
    const { FunctionName, Payload, StateMachineArn } = (input ?? {}) as { FunctionName?: string; Payload?: unknown; StateMachineArn?: string };
    if (StateMachineArn !== undefined) return this.startExecution(stateName, input as { StateMachineArn: string; Name: string; Input: JourneyState });
    const target = FunctionName ? this.byArn.get(FunctionName) : undefined;
    if (!target) throw new UnknownLocalFunctionError(`no local handler for ${String(FunctionName)} (state ${stateName})`);
    const handler = this.opts.wrap ? this.opts.wrap(target.fn, stateName, target.handler) : target.handler;
    const context = createLambdaContext({ functionName: LOCAL_FUNCTIONS[target.fn], timeoutSeconds: timeoutOf(target.fn) });
    const result = await handler(JSON.parse(JSON.stringify(Payload ?? null)), context);
    return { Payload: result ?? null, StatusCode: 200, ExecutedVersion: '$LATEST' };
  }
}

function timeoutOf(fn: LocalFunction): number {
  return fn === 'fanout' ? TASK_TIMEOUT_SECONDS.fanout : TASK_TIMEOUT_SECONDS.journey;
}

/** Every Task state of a definition, Map iterators included (overrides are keyed by state name). */
export function taskStateNames(asl: { States: Record<string, Record<string, unknown>> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(asl.States)) {
    if (state['Type'] === 'Task') names.push(name);
    const inner = (state['ItemProcessor'] ?? state['Iterator']) as { States: Record<string, Record<string, unknown>> } | undefined;
    if (inner) names.push(...taskStateNames(inner));
    for (const branch of (state['Branches'] as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) {
      names.push(...taskStateNames(branch));
    }
  }
  return names;
}

function failureOf(error: unknown): { name: string; cause: string } {
  // aws-local-stepfunctions rejects with an ExecutionError whose cause is the state error (a Fail state's Error).
  const inner = (error as { cause?: unknown })?.cause ?? error;
  const name = (inner as Error)?.name ?? 'Error';
  const cause = (inner as Error)?.message ?? String(inner);
  return { name, cause };
}

