import {
  byService,
  costOf,
  gbSeconds,
  PRICES,
  PRICES_NOTE,
  STEP_FUNCTIONS_EXPRESS_BILLED_MB,
  scaleUsage,
  type Costs,
  type LambdaUsage,
  type Usage,
} from './costs.js';
import { EVENT_SOURCE_POLLER, HARNESS, SNS_DELIVERY, type CallStats, type MeterSnapshot, type Service } from './meter-snapshot.js';

/**
 * From a meter snapshot to the billable usage (costs.ts) and the tables the benchmarks print:
 * requests per 1,000 units by service, and USD per N units by service.
 */

/**
 * Memory of every function, from infra: WinbackFunction's default (infra/constructs/winback-function.ts,
 * `memorySize ?? 512`), which none of the ingest, processor, email-feedback or campaign functions
 * overrides (IngestApi ingestMemorySize / processorMemorySize, EmailFeedback processorMemorySize
 * and Campaigns leave it unset). test/bench/costs.test.ts checks the default against the construct.
 */
export const DEFAULT_LAMBDA_MEMORY_MB = 512;
export const LAMBDA_MEMORY_MB: Readonly<Record<string, number>> = {};
export const memoryOf = (fn: string): number => LAMBDA_MEMORY_MB[fn] ?? DEFAULT_LAMBDA_MEMORY_MB;

// --- CloudWatch Logs: what the functions print is measured; what AWS itself writes is estimated
// from the size of a typical record of each kind (the samples below), times how often it happens.

const REQUEST_ID = '8f5e6a0c-3b1d-4c2e-9a7f-1d2e3f4a5b6c';
const TRACING = { spanId: '1b2c3d4e5f6a7b8c', type: 'X-Amzn-Trace-Id', value: 'Root=1-67a0b1c2-0123456789abcdef01234567;Parent=1b2c3d4e5f6a7b8c;Sampled=0' };
/** Lambda's JSON platform records per invocation (loggingFormat JSON, X-Ray active): platform.start + platform.report. */
export const LAMBDA_PLATFORM_LOG_BYTES =
  JSON.stringify({ time: '2026-01-01T00:00:00.000Z', type: 'platform.start', record: { requestId: REQUEST_ID, version: '$LATEST', tracing: TRACING } }).length +
  JSON.stringify({
    time: '2026-01-01T00:00:00.123Z',
    type: 'platform.report',
    record: {
      requestId: REQUEST_ID,
      metrics: { durationMs: 123.45, billedDurationMs: 124, memorySizeMB: 512, maxMemoryUsedMB: 98 },
      tracing: TRACING,
      status: 'success',
    },
  }).length +
  2;
/** One API Gateway access log line in the stage's format (infra/constructs/ingest-api.ts ACCESS_LOG_FORMAT). */
export const API_ACCESS_LOG_BYTES =
  JSON.stringify({
    requestId: 'Abc1DefGhIJKLmn=',
    requestTime: '1767225600000',
    routeKey: 'POST /v1/batch',
    status: '200',
    protocol: 'HTTP/1.1',
    responseLength: '11',
    responseLatency: '25',
    integrationStatus: '200',
    integrationLatency: '24',
    integrationError: '-',
    errorMessage: '-',
  }).length + 1;
/** One Step Functions execution-history record at level ALL without execution data. */
export const STEP_FUNCTIONS_LOG_EVENT_BYTES =
  JSON.stringify({
    id: '12',
    type: 'TaskStateEntered',
    details: { name: 'Run' },
    previous_event_id: '11',
    event_timestamp: '1767225600000',
    execution_arn: 'arn:aws:states:us-east-1:123456789012:execution:CampaignsJourneyStateMachineA1B2C3D4-AbCdEfGhIjKl:bench--b12345--bench-costs',
    redrive_count: '0',
  }).length + 1;
/** History events per state entered (Task: entered, scheduled, started, succeeded, exited; a retry: scheduled, started, failed). */
export const HISTORY_EVENTS_PER_STATE: Readonly<Record<string, number>> = { Task: 5, Choice: 2, Wait: 2, Pass: 2, Succeed: 2, Fail: 1, Map: 4, Parallel: 4, Retry: 3 };
/** ExecutionStarted + ExecutionSucceeded/Failed. */
export const HISTORY_EVENTS_PER_EXECUTION = 2;

export interface LogEstimate {
  /** Measured: what the handlers printed (at the log level the functions run with in AWS). */
  readonly applicationBytes: number;
  /** Estimated: Lambda platform records. */
  readonly lambdaPlatformBytes: number;
  /** Estimated: API Gateway access log lines. */
  readonly apiAccessBytes: number;
  /** Estimated: Step Functions execution history records. */
  readonly stepFunctionsBytes: number;
  readonly totalBytes: number;
}

const billable = (context: string): boolean => context !== HARNESS;

/** A command's stats summed over every billable context. */
export function commandTotals(s: MeterSnapshot, service: Service): Map<string, CallStats> {
  const out = new Map<string, CallStats>();
  for (const [context, services] of Object.entries(s.calls)) {
    if (!billable(context)) continue;
    for (const [command, st] of Object.entries(services[service] ?? {})) {
      const acc = out.get(command);
      if (!acc) {
        out.set(command, { ...st });
        continue;
      }
      for (const k of Object.keys(st) as Array<keyof CallStats>) acc[k] += st[k];
    }
  }
  return out;
}

const sumOf = (m: Map<string, CallStats>, k: keyof CallStats): number => [...m.values()].reduce((a, s) => a + s[k], 0);

export function transitionsOf(s: MeterSnapshot): number {
  return Object.values(s.stepFunctions.transitionsByType).reduce((a, b) => a + b, 0);
}

export function logEstimate(s: MeterSnapshot): LogEstimate {
  const applicationBytes = Object.entries(s.logBytes).reduce((a, [c, b]) => (billable(c) && c !== SNS_DELIVERY ? a + b : a), 0);
  const invocations = Object.values(s.lambdas).reduce((a, l) => a + l.invocations, 0);
  const lambdaPlatformBytes = invocations * LAMBDA_PLATFORM_LOG_BYTES;
  const apiAccessBytes = s.apiGateway.requests * API_ACCESS_LOG_BYTES;
  let historyEvents = s.stepFunctions.executions * HISTORY_EVENTS_PER_EXECUTION;
  for (const [type, n] of Object.entries(s.stepFunctions.transitionsByType)) historyEvents += n * (HISTORY_EVENTS_PER_STATE[type] ?? 2);
  // Express executions log the same history records at level ALL.
  const express = s.stepFunctions.express;
  if (express) {
    historyEvents += express.executions * HISTORY_EVENTS_PER_EXECUTION;
    for (const [type, n] of Object.entries(express.transitionsByType)) historyEvents += n * (HISTORY_EVENTS_PER_STATE[type] ?? 2);
  }
  const stepFunctionsBytes = historyEvents * STEP_FUNCTIONS_LOG_EVENT_BYTES;
  return {
    applicationBytes,
    lambdaPlatformBytes,
    apiAccessBytes,
    stepFunctionsBytes,
    totalBytes: applicationBytes + lambdaPlatformBytes + apiAccessBytes + stepFunctionsBytes,
  };
}

/** The billable usage a snapshot measured. */
export function usageFromSnapshot(s: MeterSnapshot): Usage {
  const lambda: LambdaUsage[] = Object.entries(s.lambdas)
    .map(([name, l]) => ({ name, invocations: l.invocations, memoryMb: memoryOf(name), billedMs: l.billedMs }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const ddb = commandTotals(s, 'dynamodb');
  const sqs = commandTotals(s, 'sqs');
  const ses = commandTotals(s, 'ses');
  return {
    apiGatewayRequests: s.apiGateway.billedRequests,
    lambda,
    sqsRequests: sumOf(sqs, 'billedRequests'),
    dynamodbWru: sumOf(ddb, 'wru') + sumOf(ddb, 'indexWru'),
    dynamodbRru: sumOf(ddb, 'rru'),
    dynamodbStoredBytes: s.dynamodbStored.bytes,
    sesEmails: sumOf(ses, 'emails'),
    snsPublishes: s.sns.billedPublishes,
    stepFunctionsTransitions: transitionsOf(s),
    ...(s.stepFunctions.express
      ? {
          stepFunctionsExpressRequests: s.stepFunctions.express.executions,
          stepFunctionsExpressGbSeconds: (STEP_FUNCTIONS_EXPRESS_BILLED_MB / 1024) * (s.stepFunctions.express.billedMs / 1000),
        }
      : {}),
    logBytes: logEstimate(s).totalBytes,
  };
}

export interface RequestRow {
  readonly service: string;
  readonly what: string;
  /** Count per `per` units of work. */
  readonly value: number;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Requests (and request units) by service, per `per` units of work (`units` measured). */
export function requestRows(s: MeterSnapshot, units: number, per: number): RequestRow[] {
  const k = per / units;
  const rows: RequestRow[] = [];
  const row = (service: string, what: string, value: number): void => {
    if (value > 0) rows.push({ service, what, value: value * k });
  };
  row('API Gateway', 'HTTP API requests', s.apiGateway.billedRequests);
  for (const [name, l] of Object.entries(s.lambdas).sort(([a], [b]) => a.localeCompare(b))) {
    row('Lambda', `${name} invocations (mean ${l.invocations ? (l.totalMs / l.invocations).toFixed(0) : 0} ms, median ${median(l.durationsMs).toFixed(0)} ms)`, l.invocations);
  }
  const usage = usageFromSnapshot(s);
  row('Lambda', `GB-seconds (${[...new Set(usage.lambda.map((l) => l.memoryMb))].join('/')} MB x local durations)`, usage.lambda.reduce((a, l) => a + gbSeconds(l), 0));
  const sqs = commandTotals(s, 'sqs');
  for (const [command, st] of [...sqs].sort(([a], [b]) => a.localeCompare(b))) row('SQS', command, st.calls - st.emptyReceives);
  row('SQS', 'billed requests (64 KB chunks; empty receives excluded)', sumOf(sqs, 'billedRequests'));
  const ddb = commandTotals(s, 'dynamodb');
  for (const [command, st] of [...ddb].sort(([a], [b]) => a.localeCompare(b))) row('DynamoDB', `${command} calls`, st.calls);
  row('DynamoDB', 'write request units, table', sumOf(ddb, 'wru'));
  row('DynamoDB', 'write request units, indexes (byTime LSI, gsi1)', sumOf(ddb, 'indexWru'));
  row('DynamoDB', 'read request units', sumOf(ddb, 'rru'));
  row('DynamoDB', 'KB stored (items + index copies + 100 B each)', s.dynamodbStored.bytes / 1024);
  const ses = commandTotals(s, 'ses');
  row('SES', 'emails (SendEmail)', sumOf(ses, 'emails'));
  row('SNS', 'publishes (SES events)', s.sns.billedPublishes);
  const perExecution = (byType: Record<string, number>, executions: number): string =>
    Object.entries(byType).map(([t, n]) => `${t} ${(n / Math.max(1, executions)).toFixed(1)}`).join(', ');
  const express = s.stepFunctions.express;
  if (express) {
    row('Step Functions', `Express executions (${perExecution(express.transitionsByType, express.executions)} per execution; not billed per transition)`, express.executions);
    row('Step Functions', 'Express GB-seconds (64 MB x durations rounded up to 100 ms)', (STEP_FUNCTIONS_EXPRESS_BILLED_MB / 1024) * (express.billedMs / 1000));
  }
  row('Step Functions', `Standard state transitions (${perExecution(s.stepFunctions.transitionsByType, s.stepFunctions.executions)} per execution)`, transitionsOf(s));
  const logs = logEstimate(s);
  row('CloudWatch Logs', 'KB ingested (handlers measured; platform, access and history records estimated)', logs.totalBytes / 1024);
  return rows;
}

const fmtCount = (x: number): string =>
  x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x >= 0.01 ? x.toFixed(2) : x.toPrecision(2);
export const fmtUsd = (x: number): string => (x >= 1 ? `$${x.toFixed(2)}` : x >= 0.0001 || x === 0 ? `$${x.toFixed(4)}` : `$${x.toPrecision(2)}`);

export function requestTable(rows: readonly RequestRow[], unitLabel: string): string {
  const lines = [`| service | what | per ${unitLabel} |`, '|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.service} | ${r.what} | ${fmtCount(r.value)} |`);
  return lines.join('\n');
}

export function costTable(costs: Costs, unitLabel: string): string {
  const lines = [`| service | item | quantity per ${unitLabel} | USD per ${unitLabel} |`, '|---|---|---|---|'];
  for (const l of costs.lines) {
    if (l.quantity === 0) continue;
    lines.push(`| ${l.service} | ${l.item} | ${fmtCount(l.quantity)} ${l.unit} | ${fmtUsd(l.usd)} |`);
  }
  lines.push(`| **total** | | | **${fmtUsd(costs.totalUsd)}** |`);
  for (const l of costs.monthly) lines.push(`| ${l.service} | ${l.item}, per month kept | ${fmtCount(l.quantity)} ${l.unit} | ${fmtUsd(l.usd)} / month |`);
  return lines.join('\n');
}

export function serviceTable(costs: Costs, unitLabel: string): string {
  const lines = [`| service | USD per ${unitLabel} | share |`, '|---|---|---|'];
  for (const s of byService(costs)) {
    if (s.usd === 0) continue;
    lines.push(`| ${s.service} | ${fmtUsd(s.usd)} | ${((s.usd / costs.totalUsd) * 100).toFixed(1)}% |`);
  }
  lines.push(`| **total** | **${fmtUsd(costs.totalUsd)}** | 100% |`);
  return lines.join('\n');
}

export interface CostReport {
  readonly unitsMeasured: number;
  readonly unitName: string;
  readonly requestsPer: number;
  readonly requests: readonly RequestRow[];
  readonly costPer: number;
  readonly costs: Costs;
  readonly costsByService: ReadonlyArray<{ service: string; usd: number }>;
  readonly logs: LogEstimate;
  readonly prices: typeof PRICES;
  readonly pricesNote: string;
  /** Non-billed calls (benchmark set-up, local bookkeeping), for the curious. */
  readonly harnessCalls: Record<string, Record<string, number>>;
  readonly emptyReceives: number;
}

/** Everything the benchmarks print and put in `--json`, for `unitsMeasured` units of work. */
export function costReport(s: MeterSnapshot, opts: { unitsMeasured: number; unitName: string; requestsPer: number; costPer: number }): CostReport {
  const usage = usageFromSnapshot(s);
  const costs = costOf(scaleUsage(usage, opts.costPer / opts.unitsMeasured));
  const harnessCalls: Record<string, Record<string, number>> = {};
  for (const [service, commands] of Object.entries(s.calls[HARNESS] ?? {})) {
    harnessCalls[service] = Object.fromEntries(Object.entries(commands ?? {}).map(([c, st]) => [c, st.calls]));
  }
  const emptyReceives = Object.values(s.calls[EVENT_SOURCE_POLLER]?.sqs ?? {}).reduce((a, st) => a + st.emptyReceives, 0);
  return {
    unitsMeasured: opts.unitsMeasured,
    unitName: opts.unitName,
    requestsPer: opts.requestsPer,
    requests: requestRows(s, opts.unitsMeasured, opts.requestsPer),
    costPer: opts.costPer,
    costs,
    costsByService: byService(costs),
    logs: logEstimate(s),
    prices: PRICES,
    pricesNote: PRICES_NOTE,
    harnessCalls,
    emptyReceives,
  };
}

export function printCostReport(r: CostReport, label: { requests: string; cost: string }): void {
  console.log('');
  console.log(`requests per ${label.requests} (metered pass of ${r.unitsMeasured.toLocaleString('en-US')} ${r.unitName}):`);
  console.log(requestTable(r.requests, label.requests));
  console.log('');
  console.log(`cost per ${label.cost} (${r.pricesNote}):`);
  console.log(costTable(r.costs, label.cost));
  console.log('');
  console.log(serviceTable(r.costs, label.cost));
}
