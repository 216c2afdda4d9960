import { AsyncLocalStorage } from 'node:async_hooks';
import { dynamoClient, secretsManagerClient, sesClient, sqsClient } from '../../functions/commons/clients.js';
import { DynamoDbMeter } from './dynamodb-meter.js';
import { WINBACK_INDEXES, type IndexDefinition } from './dynamodb-units.js';
import {
  HARNESS,
  newCallStats,
  SNS_DELIVERY,
  type CallStats,
  type LambdaStats,
  type MeterSnapshot,
  type Service,
  type ExpressStats,
  type StepFunctionsStats,
} from './meter-snapshot.js';
import { meterSqsCall } from './sqs-meter.js';

/**
 * A request meter for the benchmarks: what the handlers ask of AWS, in the units AWS bills.
 *
 *  - SDK calls: a middleware added from outside (`client.middlewareStack.add`, step `initialize`,
 *    so it sees the command input as the caller built it) to the handlers' client singletons
 *    (functions/commons/clients.ts) and to the Lambda event-source pollers' client. It counts
 *    calls by service and command name, and:
 *      DynamoDB  read request units: the emulator's own ConsumedCapacity (the meter asks every
 *                call for `ReturnConsumedCapacity: 'TOTAL'`; dynalite computes it with DynamoDB's
 *                rules: 4 KB units over the bytes read, halved for eventually consistent reads);
 *                write request units: the emulator's ConsumedCapacity for the table (1 KB units,
 *                the larger of the old and new item), plus one write per secondary index whose
 *                keys the written item carries (both indexes project ALL, so ceil(item size / 1 KB)
 *                each), from the request's item, or for UpdateItem/DeleteItem from the new/old
 *                item (the meter asks for ALL_NEW / ALL_OLD when the caller asked for nothing).
 *                A failed conditional write is charged 1 WRU (DynamoDB charges them too).
 *                Whatever the meter adds to a request is removed from the answer again.
 *      SQS       requests in 64 KB chunks of payload (SendMessage, SendMessageBatch, ReceiveMessage);
 *                empty receives are counted apart (idle long polls: a fixed cost, not per event).
 *      SES       emails (recipients of SendEmail).
 *  - Lambda invocations and durations: handlers wrapped by `wrapLambda` (wall time of each
 *    invocation, rounded up to the millisecond as Lambda bills it). A wrapped handler runs in an
 *    AsyncLocalStorage context named after the function, so every SDK call above is attributed
 *    to the function that made it; calls made outside any handler (the benchmark's own set-up,
 *    the local Step Functions runner's bookkeeping, queue-depth polls) land in `harness` and are
 *    not billed.
 *  - API Gateway requests (512 KB units) and, for the local stand-in of SES -> SNS -> SQS (the
 *    local stack posts SES events to the API's /v1/email-events), SNS publishes (64 KB units):
 *    `wrapHttpApi`.
 *  - Log bytes the handlers write (stdout/stderr inside a handler context): `captureLogs`.
 */

const API_GATEWAY_CHUNK = 512 * 1024;
const SNS_CHUNK = 64 * 1024;

type Middleware = (next: (args: any) => Promise<any>, context: any) => (args: any) => Promise<any>;
export interface MeterableClient {
  readonly middlewareStack: {
    add(middleware: Middleware, options: { step: 'initialize'; priority: 'high'; name: string; override: boolean }): void;
    remove(name: string): boolean;
  };
}

type Handler<E, C, R> = (event: E, context: C) => Promise<R>;

let meterIds = 0;

export class RequestMeter {
  private readonly als = new AsyncLocalStorage<string>();
  private readonly name = `winbackRequestMeter${++meterIds}`;
  private readonly attached: MeterableClient[] = [];
  private readonly calls = new Map<string, Map<Service, Map<string, CallStats>>>();
  private readonly lambdas = new Map<string, LambdaStats>();
  private readonly apiGateway = { requests: 0, billedRequests: 0, bodyBytes: 0 };
  private readonly sns = { publishes: 0, billedPublishes: 0 };
  private readonly logBytes = new Map<string, number>();
  private stepFunctions: StepFunctionsStats = { executions: 0, transitionsByType: {} };

  private readonly dynamodb: DynamoDbMeter;

  constructor(indexes: readonly IndexDefinition[] = WINBACK_INDEXES) {
    this.dynamodb = new DynamoDbMeter(indexes);
  }

  /** The context SDK calls are attributed to right now. */
  current(fallback = HARNESS): string {
    return this.als.getStore() ?? fallback;
  }

  /** Runs `fn` with its SDK calls attributed to `context`. */
  run<T>(context: string, fn: () => T): T {
    return this.als.run(context, fn);
  }

  /** Meters the SDK clients every handler shares (functions/commons/clients.ts). */
  attachHandlerClients(): void {
    this.attach(dynamoClient(), 'dynamodb');
    this.attach(sqsClient(), 'sqs');
    this.attach(sesClient(), 'ses');
    this.attach(secretsManagerClient(), 'secretsmanager');
  }

  /**
   * Adds the metering middleware to a client. `context` names calls made outside any handler
   * (e.g. the event-source poller's client); by default they are `harness`.
   */
  attach(client: MeterableClient, service: Service, opts: { context?: string } = {}): void {
    const fallback = opts.context ?? HARNESS;
    const middleware: Middleware = (next, ctx) => async (args) => {
      const command = String(ctx?.commandName ?? 'Unknown').replace(/Command$/, '');
      const stats = this.stats(this.current(fallback), service, command);
      stats.calls++;
      if (service === 'dynamodb') return this.dynamodb.call(next, args, command, stats, this.current() !== HARNESS);
      if (service === 'sqs') return meterSqsCall(next, args, command, stats);
      if (service === 'ses' && command === 'SendEmail') {
        const d = (args.input?.Destination ?? {}) as { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
        stats.emails += (d.ToAddresses?.length ?? 0) + (d.CcAddresses?.length ?? 0) + (d.BccAddresses?.length ?? 0) || 1;
      }
      stats.billedRequests++;
      try {
        return await next(args);
      } catch (error) {
        stats.errors++;
        throw error;
      }
    };
    client.middlewareStack.add(middleware, { step: 'initialize', priority: 'high', name: this.name, override: true });
    this.attached.push(client);
  }

  /** Removes the middleware from every client it was added to. */
  detach(): void {
    for (const c of this.attached.splice(0)) c.middlewareStack.remove(this.name);
  }

  /**
   * A Lambda handler that counts its invocations and durations and attributes its SDK calls to
   * `functionName`.
   */
  wrapLambda<E, C, R>(functionName: string, handler: Handler<E, C, R>): Handler<E, C, R> {
    return (event, context) =>
      this.als.run(functionName, async () => {
        const t0 = performance.now();
        let failed = false;
        try {
          return await handler(event, context);
        } catch (error) {
          failed = true;
          throw error;
        } finally {
          this.recordInvocation(functionName, performance.now() - t0, failed);
        }
      });
  }

  /**
   * The ingest API's handler behind API Gateway: counts HTTP API requests (512 KB units) and the
   * function's invocations. Requests to `snsPaths` are the local stand-in of SNS delivering to SQS
   * (SES event publishing): counted as SNS publishes (64 KB units), their work attributed to
   * SNS_DELIVERY, neither an API request nor a Lambda invocation.
   */
  wrapHttpApi<E extends { rawPath?: string; body?: string; isBase64Encoded?: boolean }, C, R>(
    functionName: string,
    handler: Handler<E, C, R>,
    opts: { snsPaths?: readonly string[] } = {},
  ): Handler<E, C, R> {
    const lambda = this.wrapLambda(functionName, handler);
    const snsPaths = new Set(opts.snsPaths ?? []);
    return (event, context) => {
      const body = event.body ?? '';
      const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64').byteLength : Buffer.byteLength(body);
      if (event.rawPath !== undefined && snsPaths.has(event.rawPath)) {
        this.sns.publishes++;
        this.sns.billedPublishes += Math.max(1, Math.ceil(bytes / SNS_CHUNK));
        return this.als.run(SNS_DELIVERY, () => handler(event, context));
      }
      this.apiGateway.requests++;
      this.apiGateway.billedRequests += Math.max(1, Math.ceil(bytes / API_GATEWAY_CHUNK));
      this.apiGateway.bodyBytes += bytes;
      return lambda(event, context);
    };
  }

  /**
   * Counts the bytes written to stdout and stderr inside handler contexts (what CloudWatch Logs
   * would ingest from the functions' own log lines); output is passed through unchanged.
   * Returns the function that stops the capture.
   */
  captureLogs(): () => void {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write);
    streams.forEach((stream, i) => {
      const original = originals[i]!;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const context = this.als.getStore();
        if (context !== undefined) {
          const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
          this.logBytes.set(context, (this.logBytes.get(context) ?? 0) + n);
        }
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
    });
    return () => streams.forEach((stream, i) => (stream.write = originals[i]!));
  }

  /** Step Functions transitions counted by the local runner (scripts/local/stepfunctions.ts). */
  recordStepFunctions(executions: number, transitionsByType: Readonly<Record<string, number>>, express?: Readonly<ExpressStats>): void {
    this.stepFunctions = {
      executions,
      transitionsByType: { ...transitionsByType },
      ...(express ? { express: { ...express, transitionsByType: { ...express.transitionsByType } } } : {}),
    };
  }

  snapshot(): MeterSnapshot {
    const calls: Record<string, Partial<Record<Service, Record<string, CallStats>>>> = {};
    for (const [context, services] of this.calls) {
      const s: Partial<Record<Service, Record<string, CallStats>>> = {};
      for (const [service, commands] of services) {
        s[service] = Object.fromEntries([...commands].map(([name, st]) => [name, { ...st }]));
      }
      calls[context] = s;
    }
    return {
      calls,
      lambdas: Object.fromEntries([...this.lambdas].map(([n, l]) => [n, { ...l, durationsMs: [...l.durationsMs] }])),
      apiGateway: { ...this.apiGateway },
      sns: { ...this.sns },
      dynamodbStored: this.dynamodb.storedTotals(),
      logBytes: Object.fromEntries(this.logBytes),
      stepFunctions: structuredClone(this.stepFunctions),
    };
  }

  private stats(context: string, service: Service, command: string): CallStats {
    let services = this.calls.get(context);
    if (!services) this.calls.set(context, (services = new Map()));
    let commands = services.get(service);
    if (!commands) services.set(service, (commands = new Map()));
    let stats = commands.get(command);
    if (!stats) commands.set(command, (stats = newCallStats()));
    return stats;
  }

  private recordInvocation(functionName: string, ms: number, failed: boolean): void {
    let l = this.lambdas.get(functionName);
    if (!l) this.lambdas.set(functionName, (l = { invocations: 0, errors: 0, totalMs: 0, billedMs: 0, maxMs: 0, durationsMs: [] }));
    l.invocations++;
    if (failed) l.errors++;
    l.totalMs += ms;
    l.billedMs += Math.max(1, Math.ceil(ms));
    l.maxMs = Math.max(l.maxMs, ms);
    l.durationsMs.push(ms);
  }
}
