import { AsyncLocalStorage } from 'node:async_hooks';
import { TABLE } from '../../kernel/settings.js';
import { dynamoClient, secretsManagerClient, sesClient, sqsClient } from '../../functions/commons/clients.js';

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

export type Service = 'dynamodb' | 'sqs' | 'ses' | 'secretsmanager' | 'other';

/** Calls made outside every handler: benchmark set-up, local runner bookkeeping. Never billed. */
export const HARNESS = 'harness';
/** The local stand-in of SNS delivering SES events to the email-events queue (in AWS: no Lambda, no API request). */
export const SNS_DELIVERY = 'sns-delivery';
/** Default context of the client a Lambda SQS event source polls with. */
export const EVENT_SOURCE_POLLER = 'lambda-event-source';

export interface CallStats {
  calls: number;
  errors: number;
  /** Billing units of the calls (SQS: 64 KB chunks; others: calls). Empty receives excluded. */
  billedRequests: number;
  /** ReceiveMessage answered with no message. */
  emptyReceives: number;
  /** DynamoDB: write request units of the table. */
  wru: number;
  /** DynamoDB: write request units of the secondary indexes. */
  indexWru: number;
  /** DynamoDB: read request units. */
  rru: number;
  /** DynamoDB: failed conditional writes (1 WRU each, included in `wru`). */
  conditionalFailures: number;
  /** SES: recipients. */
  emails: number;
  /** SQS payload bytes (sent or received). */
  payloadBytes: number;
}

export interface LambdaStats {
  invocations: number;
  errors: number;
  totalMs: number;
  /** Sum of durations rounded up to 1 ms. */
  billedMs: number;
  maxMs: number;
  durationsMs: number[];
}

export interface StepFunctionsStats {
  executions: number;
  /** States entered (and retries), by state type (Task, Choice, Wait, Pass, Succeed, Fail, Map, Retry). */
  transitionsByType: Record<string, number>;
}

export interface MeterSnapshot {
  /** context -> service -> command (without "Command") -> stats */
  readonly calls: Record<string, Partial<Record<Service, Record<string, CallStats>>>>;
  readonly lambdas: Record<string, LambdaStats>;
  readonly apiGateway: { requests: number; billedRequests: number; bodyBytes: number };
  readonly sns: { publishes: number; billedPublishes: number };
  /** Bytes the billable contexts left in DynamoDB (items + index copies + 100 B overhead each), and how many items. */
  readonly dynamodbStored: { bytes: number; items: number };
  /** Bytes written to stdout/stderr by each context while the log capture was on. */
  readonly logBytes: Record<string, number>;
  readonly stepFunctions: StepFunctionsStats;
}

export interface IndexDefinition {
  readonly name: string;
  /** Key attributes an item must carry to appear in the index. */
  readonly keys: readonly string[];
}

/** The winback table's secondary indexes (kernel/settings.ts), both with the ALL projection. */
export const WINBACK_INDEXES: readonly IndexDefinition[] = [
  { name: TABLE.byTimeIndex, keys: [TABLE.partitionKey, TABLE.byTimeSortKey] },
  { name: TABLE.gsi1, keys: [TABLE.gsi1PartitionKey, TABLE.gsi1SortKey] },
];

/** DynamoDB's per-item storage overhead, in the table and again in each index entry. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const KB = 1024;
const SQS_CHUNK = 64 * KB;
const API_GATEWAY_CHUNK = 512 * KB;
const SNS_CHUNK = 64 * KB;

type Item = Record<string, unknown>;

/**
 * DynamoDB's size of an item, from its attribute names and values (native JavaScript values as
 * the document client takes them, or marshalled AttributeValues): strings and binaries by
 * their bytes, numbers 1 byte per two significant digits + 1, booleans and null 1, lists and
 * maps 3 bytes + 1 per element + their contents, sets the sum of their elements.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

const AV_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);

function numberSize(n: number | bigint | string): number {
  const digits = String(n).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length === 0 ? 1 : Math.ceil(digits.length / 2) + 1;
}

function valueSize(value: unknown): number {
  if (value === null) return 1;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value);
    case 'number':
    case 'bigint':
      return numberSize(value);
    case 'boolean':
      return 1;
    case 'object':
      break;
    default:
      return 0;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let s = 0;
    for (const v of value) s += valueSize(v);
    return s;
  }
  if (Array.isArray(value)) return 3 + value.reduce((s: number, v) => s + 1 + valueSize(v), 0);
  const entries = Object.entries(value as Record<string, unknown>);
  // A marshalled AttributeValue ({ S: 'x' }, { N: '1' }, { M: {...} } ...).
  if (entries.length === 1 && AV_TYPES.has(entries[0]![0])) {
    const [type, v] = entries[0]!;
    switch (type) {
      case 'S':
        return Buffer.byteLength(String(v));
      case 'N':
        return numberSize(String(v));
      case 'B':
        return v instanceof Uint8Array ? v.byteLength : Buffer.from(String(v), 'base64').byteLength;
      case 'BOOL':
      case 'NULL':
        return 1;
      case 'L':
        return 3 + (v as unknown[]).reduce((s: number, e) => s + 1 + valueSize(e), 0);
      case 'M':
        return 3 + Object.entries(v as Item).reduce((s, [k, e]) => s + 1 + Buffer.byteLength(k) + valueSize(e), 0);
      case 'SS':
        return (v as string[]).reduce((s, e) => s + Buffer.byteLength(e), 0);
      case 'NS':
        return (v as string[]).reduce((s, e) => s + numberSize(e), 0);
      case 'BS':
        return (v as Uint8Array[]).reduce((s, e) => s + e.byteLength, 0);
    }
  }
  return 3 + entries.reduce((s, [k, v]) => (v === undefined ? s : s + 1 + Buffer.byteLength(k) + valueSize(v)), 0);
}

/** Write units of one item: 1 per KB, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));

const newCallStats = (): CallStats => ({
  calls: 0,
  errors: 0,
  billedRequests: 0,
  emptyReceives: 0,
  wru: 0,
  indexWru: 0,
  rru: 0,
  conditionalFailures: 0,
  emails: 0,
  payloadBytes: 0,
});

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
  /** pk/sk -> bytes stored for that item (table + index entries, with overhead). */
  private readonly stored = new Map<string, number>();
  private readonly logBytes = new Map<string, number>();
  private stepFunctions: StepFunctionsStats = { executions: 0, transitionsByType: {} };

  constructor(private readonly indexes: readonly IndexDefinition[] = WINBACK_INDEXES) {}

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
      if (service === 'dynamodb') return this.dynamodb(next, args, command, stats);
      if (service === 'sqs') return this.sqs(next, args, command, stats);
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
  recordStepFunctions(executions: number, transitionsByType: Readonly<Record<string, number>>): void {
    this.stepFunctions = { executions, transitionsByType: { ...transitionsByType } };
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
    let bytes = 0;
    for (const b of this.stored.values()) bytes += b;
    return {
      calls,
      lambdas: Object.fromEntries([...this.lambdas].map(([n, l]) => [n, { ...l, durationsMs: [...l.durationsMs] }])),
      apiGateway: { ...this.apiGateway },
      sns: { ...this.sns },
      dynamodbStored: { bytes, items: this.stored.size },
      logBytes: Object.fromEntries(this.logBytes),
      stepFunctions: { executions: this.stepFunctions.executions, transitionsByType: { ...this.stepFunctions.transitionsByType } },
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

  /** Index write units of writing `item` (one per index whose keys it carries). */
  private indexWrites(item: Item | undefined): number {
    if (!item) return 0;
    const units = writeUnits(itemSize(item));
    return this.indexes.reduce((n, ix) => (ix.keys.every((k) => item[k] !== undefined) ? n + units : n), 0);
  }

  private storedBytes(item: Item): number {
    const entry = itemSize(item) + DYNAMODB_ITEM_OVERHEAD_BYTES;
    return this.indexes.reduce((n, ix) => (ix.keys.every((k) => item[k] !== undefined) ? n + entry : n), entry);
  }

  private keyOf(item: Item): string {
    const key = (v: unknown): string => (v && typeof v === 'object' && 'S' in v ? String((v as { S: unknown }).S) : String(v));
    return `${key(item[TABLE.partitionKey])}\u0000${key(item[TABLE.sortKey])}`;
  }

  private store(item: Item | undefined, billable: boolean): void {
    if (billable && item) this.stored.set(this.keyOf(item), this.storedBytes(item));
  }

  private unstore(key: Item | undefined, billable: boolean): void {
    if (billable && key) this.stored.delete(this.keyOf(key));
  }

  private async dynamodb(next: (args: any) => Promise<any>, args: any, command: string, stats: CallStats): Promise<any> {
    const input = (args.input ?? {}) as Record<string, any>;
    const billable = this.current() !== HARNESS;
    const extra: Record<string, unknown> = {};
    const askedCapacity = input['ReturnConsumedCapacity'] !== undefined && input['ReturnConsumedCapacity'] !== 'NONE';
    if (!askedCapacity) extra['ReturnConsumedCapacity'] = 'TOTAL';
    const noReturnValues = input['ReturnValues'] === undefined || input['ReturnValues'] === 'NONE';
    if (noReturnValues && command === 'UpdateItem') extra['ReturnValues'] = 'ALL_NEW';
    if (noReturnValues && command === 'DeleteItem') extra['ReturnValues'] = 'ALL_OLD';
    stats.billedRequests++;
    let result: any;
    try {
      result = await next({ ...args, input: { ...input, ...extra } });
    } catch (error) {
      stats.errors++;
      if ((error as Error)?.name === 'ConditionalCheckFailedException') {
        stats.conditionalFailures++;
        stats.wru += command === 'PutItem' && input['Item'] ? writeUnits(itemSize(input['Item'])) : 1;
      }
      throw error;
    }
    const output = (result?.output ?? {}) as Record<string, any>;
    const consumed = ([] as Array<{ CapacityUnits?: number }>).concat(output['ConsumedCapacity'] ?? []);
    const units = consumed.reduce((s, c) => s + (c?.CapacityUnits ?? 0), 0);
    switch (command) {
      case 'GetItem':
      case 'BatchGetItem':
      case 'Query':
      case 'Scan':
      case 'TransactGetItems':
        stats.rru += units;
        break;
      case 'PutItem':
        stats.wru += units;
        stats.indexWru += this.indexWrites(input['Item']);
        this.store(input['Item'], billable);
        break;
      case 'UpdateItem': {
        stats.wru += units;
        const updated = input['ReturnValues'] === 'ALL_NEW' || extra['ReturnValues'] === 'ALL_NEW' ? (output['Attributes'] as Item | undefined) : undefined;
        stats.indexWru += this.indexWrites(updated);
        this.store(updated, billable);
        break;
      }
      case 'DeleteItem': {
        stats.wru += units;
        const old = input['ReturnValues'] === 'ALL_OLD' || extra['ReturnValues'] === 'ALL_OLD' ? (output['Attributes'] as Item | undefined) : undefined;
        stats.indexWru += this.indexWrites(old);
        this.unstore(input['Key'], billable);
        break;
      }
      case 'BatchWriteItem': {
        stats.wru += units;
        const unprocessed = new Set<string>();
        for (const reqs of Object.values((output['UnprocessedItems'] ?? {}) as Record<string, any[]>)) {
          for (const r of reqs) unprocessed.add(this.keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}));
        }
        for (const reqs of Object.values((input['RequestItems'] ?? {}) as Record<string, any[]>)) {
          for (const r of reqs) {
            const item = r.PutRequest?.Item as Item | undefined;
            const key = (item ?? r.DeleteRequest?.Key) as Item | undefined;
            if (!key || unprocessed.has(this.keyOf(key))) continue;
            if (item) {
              stats.indexWru += this.indexWrites(item);
              this.store(item, billable);
            } else {
              // The deleted item is unknown here: its index deletes are not counted.
              this.unstore(key, billable);
            }
          }
        }
        break;
      }
      default:
        stats.wru += units;
    }
    if (!askedCapacity) delete output['ConsumedCapacity'];
    if (extra['ReturnValues'] !== undefined) delete output['Attributes'];
    return result;
  }

  private async sqs(next: (args: any) => Promise<any>, args: any, command: string, stats: CallStats): Promise<any> {
    const input = (args.input ?? {}) as Record<string, any>;
    const chunks = (bytes: number): number => Math.max(1, Math.ceil(bytes / SQS_CHUNK));
    let sent = 0;
    if (command === 'SendMessage') sent = messageBytes(input['MessageBody'], input['MessageAttributes']);
    if (command === 'SendMessageBatch') {
      for (const e of (input['Entries'] ?? []) as Array<Record<string, unknown>>) sent += messageBytes(e['MessageBody'], e['MessageAttributes']);
    }
    let result: any;
    try {
      result = await next(args);
    } catch (error) {
      stats.errors++;
      // A receive that ends in an error (locally: a long poll cut short when the poller stops) is an idle poll.
      if (command === 'ReceiveMessage') stats.emptyReceives++;
      else stats.billedRequests++;
      throw error;
    }
    if (command === 'ReceiveMessage') {
      const messages = (result?.output?.Messages ?? []) as Array<Record<string, unknown>>;
      if (messages.length === 0) {
        stats.emptyReceives++;
      } else {
        const received = messages.reduce((s, m) => s + messageBytes(m['Body'], m['MessageAttributes']), 0);
        stats.payloadBytes += received;
        stats.billedRequests += chunks(received);
      }
    } else {
      stats.payloadBytes += sent;
      stats.billedRequests += chunks(sent);
    }
    return result;
  }
}

function messageBytes(body: unknown, attributes: unknown): number {
  let n = typeof body === 'string' ? Buffer.byteLength(body) : 0;
  for (const [name, v] of Object.entries((attributes ?? {}) as Record<string, Record<string, unknown>>)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(String(v['DataType'] ?? ''));
    if (typeof v['StringValue'] === 'string') n += Buffer.byteLength(v['StringValue']);
    if (v['BinaryValue'] instanceof Uint8Array) n += v['BinaryValue'].byteLength;
  }
  return n;
}
