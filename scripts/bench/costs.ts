/**
 * What a workload costs on AWS, from its request counts: a pure function of a `Usage` (the billable
 * quantities the benchmarks measure, see scripts/bench/meter.ts) and the list prices below.
 *
 * PRICES: AWS us-east-1 (N. Virginia), on-demand, first pricing tier, no free tier, no Savings
 * Plans, in USD. They are written down from knowledge of the public pricing pages (as they stood
 * in 2025), on 2026-11-23, NOT fetched: check each against its page before quoting a figure.
 * test/bench/costs.test.ts pins every value, so a change here is a deliberate, reviewed edit.
 *
 * Free tiers (left out of every figure): Lambda 1 M requests and 400,000 GB-s a month; SQS 1 M
 * requests; DynamoDB 25 GB of storage; SNS 1 M publishes; Step Functions 4,000 state transitions;
 * CloudWatch Logs 5 GB of ingestion; API Gateway 1 M HTTP API requests for the first 12 months;
 * SES 3,000 messages a month for the first 12 months.
 */

/** Date the prices below were written down (from knowledge, not fetched). */
export const PRICES_WRITTEN_ON = '2026-11-23';
export const PRICES_REGION = 'us-east-1';
export const PRICES_NOTE =
  `AWS ${PRICES_REGION} on-demand list prices, first tier, no free tier; written down on ${PRICES_WRITTEN_ON} ` +
  'from knowledge of the pricing pages (as of 2025), not fetched: check them before publishing';

/** https://aws.amazon.com/api-gateway/pricing/ — HTTP APIs, first 300 M requests a month; metered in 512 KB increments. */
export const API_GATEWAY_HTTP_USD_PER_MILLION_REQUESTS = 1.0;
/** https://aws.amazon.com/lambda/pricing/ — requests, any architecture. */
export const LAMBDA_USD_PER_MILLION_REQUESTS = 0.2;
/** https://aws.amazon.com/lambda/pricing/ — duration on Arm (Graviton), first 7.5 billion GB-s a month; billed per 1 ms. */
export const LAMBDA_ARM_USD_PER_GB_SECOND = 0.0000133334;
/** https://aws.amazon.com/sqs/pricing/ — standard queues, first 100 billion requests a month; each 64 KB chunk of a payload is one request. */
export const SQS_STANDARD_USD_PER_MILLION_REQUESTS = 0.4;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — write request units (1 KB each), Standard table class. */
export const DYNAMODB_USD_PER_MILLION_WRU = 0.625;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — read request units (4 KB strongly consistent, 8 KB eventually consistent). */
export const DYNAMODB_USD_PER_MILLION_RRU = 0.125;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — data storage, Standard table class, beyond the first 25 GB. */
export const DYNAMODB_STORAGE_USD_PER_GB_MONTH = 0.25;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — continuous backups (point-in-time recovery, enabled on the table). */
export const DYNAMODB_PITR_USD_PER_GB_MONTH = 0.2;
/** https://aws.amazon.com/ses/pricing/ — outbound email, per 1,000 messages (each recipient is a message). */
export const SES_USD_PER_THOUSAND_EMAILS = 0.1;
/** https://aws.amazon.com/sns/pricing/ — standard topic publishes (64 KB chunks); deliveries to SQS are free. */
export const SNS_USD_PER_MILLION_PUBLISHES = 0.5;
/** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, per 1,000 state transitions. */
export const STEP_FUNCTIONS_STANDARD_USD_PER_THOUSAND_TRANSITIONS = 0.025;
/** https://aws.amazon.com/step-functions/pricing/ — Express workflows, requests (executions started). */
export const STEP_FUNCTIONS_EXPRESS_USD_PER_MILLION_REQUESTS = 1.0;
/** https://aws.amazon.com/step-functions/pricing/ — Express workflows, duration, first 1,000 GB-hours a month; memory in 64 MB steps, time in 100 ms steps. */
export const STEP_FUNCTIONS_EXPRESS_USD_PER_GB_SECOND = 0.00001667;
/** The memory an Express execution of a small state is billed at (the smallest step). */
export const STEP_FUNCTIONS_EXPRESS_BILLED_MB = 64;
/** https://aws.amazon.com/cloudwatch/pricing/ — Logs, Standard log class, data ingestion. */
export const CLOUDWATCH_LOGS_INGESTION_USD_PER_GB = 0.5;

/** Every price, for the test that pins them and for a `--json` reader. */
export const PRICES = {
  apiGatewayHttpUsdPerMillionRequests: API_GATEWAY_HTTP_USD_PER_MILLION_REQUESTS,
  lambdaUsdPerMillionRequests: LAMBDA_USD_PER_MILLION_REQUESTS,
  lambdaArmUsdPerGbSecond: LAMBDA_ARM_USD_PER_GB_SECOND,
  sqsStandardUsdPerMillionRequests: SQS_STANDARD_USD_PER_MILLION_REQUESTS,
  dynamodbUsdPerMillionWru: DYNAMODB_USD_PER_MILLION_WRU,
  dynamodbUsdPerMillionRru: DYNAMODB_USD_PER_MILLION_RRU,
  dynamodbStorageUsdPerGbMonth: DYNAMODB_STORAGE_USD_PER_GB_MONTH,
  dynamodbPitrUsdPerGbMonth: DYNAMODB_PITR_USD_PER_GB_MONTH,
  sesUsdPerThousandEmails: SES_USD_PER_THOUSAND_EMAILS,
  snsUsdPerMillionPublishes: SNS_USD_PER_MILLION_PUBLISHES,
  stepFunctionsStandardUsdPerThousandTransitions: STEP_FUNCTIONS_STANDARD_USD_PER_THOUSAND_TRANSITIONS,
  stepFunctionsExpressUsdPerMillionRequests: STEP_FUNCTIONS_EXPRESS_USD_PER_MILLION_REQUESTS,
  stepFunctionsExpressUsdPerGbSecond: STEP_FUNCTIONS_EXPRESS_USD_PER_GB_SECOND,
  cloudwatchLogsIngestionUsdPerGb: CLOUDWATCH_LOGS_INGESTION_USD_PER_GB,
} as const;

/** AWS bills storage and log "GB" as 2^30 bytes. */
export const BYTES_PER_GB = 1024 ** 3;

export interface LambdaUsage {
  /** Function name (one line per function in the breakdown). */
  readonly name: string;
  readonly invocations: number;
  /** Configured memory (infra: WinbackFunction's memorySize). */
  readonly memoryMb: number;
  /** Sum over invocations of the duration rounded up to the millisecond, as Lambda bills it. */
  readonly billedMs: number;
}

/** Billable quantities of a workload (already in each service's billing units). */
export interface Usage {
  /** HTTP API requests (each 512 KB of a request counts as one). */
  readonly apiGatewayRequests: number;
  readonly lambda: readonly LambdaUsage[];
  /** SQS requests (each 64 KB chunk of a payload counts as one). */
  readonly sqsRequests: number;
  readonly dynamodbWru: number;
  readonly dynamodbRru: number;
  /** Bytes the workload leaves in the table (items, index copies and their per-item overhead): a monthly cost while kept. */
  readonly dynamodbStoredBytes: number;
  /** SES messages (one per recipient). */
  readonly sesEmails: number;
  /** SNS publishes (each 64 KB chunk counts as one). */
  readonly snsPublishes: number;
  readonly stepFunctionsTransitions: number;
  /** Express executions started. */
  readonly stepFunctionsExpressRequests?: number;
  /** Express duration in GB-seconds (billed memory x billed duration). */
  readonly stepFunctionsExpressGbSeconds?: number;
  /** Bytes ingested by CloudWatch Logs. */
  readonly logBytes: number;
}

export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface Costs {
  /** One-off costs of the workload (requests, compute, log ingestion). */
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  /** Recurring costs of what it leaves behind, per month kept (DynamoDB storage and PITR). */
  readonly monthly: readonly CostLine[];
  readonly monthlyUsd: number;
}

export const EMPTY_USAGE: Usage = {
  apiGatewayRequests: 0,
  lambda: [],
  sqsRequests: 0,
  dynamodbWru: 0,
  dynamodbRru: 0,
  dynamodbStoredBytes: 0,
  sesEmails: 0,
  snsPublishes: 0,
  stepFunctionsTransitions: 0,
  logBytes: 0,
};

export const gbSeconds = (l: LambdaUsage): number => (l.memoryMb / 1024) * (l.billedMs / 1000);

/** USD of a usage at the list prices above. Pure: same usage, same dollars. */
export function costOf(usage: Usage): Costs {
  const lines: CostLine[] = [];
  const line = (service: string, item: string, quantity: number, unit: string, usd: number): void => {
    lines.push({ service, item, quantity, unit, usd });
  };
  line('API Gateway', 'HTTP API requests', usage.apiGatewayRequests, 'requests', (usage.apiGatewayRequests / 1e6) * API_GATEWAY_HTTP_USD_PER_MILLION_REQUESTS);
  for (const fn of usage.lambda) {
    line('Lambda', `${fn.name} requests`, fn.invocations, 'invocations', (fn.invocations / 1e6) * LAMBDA_USD_PER_MILLION_REQUESTS);
    const gbs = gbSeconds(fn);
    line('Lambda', `${fn.name} duration (${fn.memoryMb} MB, arm64)`, gbs, 'GB-s', gbs * LAMBDA_ARM_USD_PER_GB_SECOND);
  }
  line('SQS', 'standard queue requests', usage.sqsRequests, 'requests', (usage.sqsRequests / 1e6) * SQS_STANDARD_USD_PER_MILLION_REQUESTS);
  line('DynamoDB', 'write request units', usage.dynamodbWru, 'WRU', (usage.dynamodbWru / 1e6) * DYNAMODB_USD_PER_MILLION_WRU);
  line('DynamoDB', 'read request units', usage.dynamodbRru, 'RRU', (usage.dynamodbRru / 1e6) * DYNAMODB_USD_PER_MILLION_RRU);
  line('SES', 'emails', usage.sesEmails, 'emails', (usage.sesEmails / 1000) * SES_USD_PER_THOUSAND_EMAILS);
  line('SNS', 'publishes', usage.snsPublishes, 'publishes', (usage.snsPublishes / 1e6) * SNS_USD_PER_MILLION_PUBLISHES);
  line(
    'Step Functions',
    'Standard state transitions',
    usage.stepFunctionsTransitions,
    'transitions',
    (usage.stepFunctionsTransitions / 1000) * STEP_FUNCTIONS_STANDARD_USD_PER_THOUSAND_TRANSITIONS,
  );
  if (usage.stepFunctionsExpressRequests) {
    const requests = usage.stepFunctionsExpressRequests;
    const gbs = usage.stepFunctionsExpressGbSeconds ?? 0;
    line('Step Functions', 'Express requests', requests, 'requests', (requests / 1e6) * STEP_FUNCTIONS_EXPRESS_USD_PER_MILLION_REQUESTS);
    line('Step Functions', `Express duration (${STEP_FUNCTIONS_EXPRESS_BILLED_MB} MB)`, gbs, 'GB-s', gbs * STEP_FUNCTIONS_EXPRESS_USD_PER_GB_SECOND);
  }
  const logGb = usage.logBytes / BYTES_PER_GB;
  line('CloudWatch Logs', 'ingestion', logGb, 'GB', logGb * CLOUDWATCH_LOGS_INGESTION_USD_PER_GB);

  const storedGb = usage.dynamodbStoredBytes / BYTES_PER_GB;
  const monthly: CostLine[] = [
    { service: 'DynamoDB', item: 'storage', quantity: storedGb, unit: 'GB-month', usd: storedGb * DYNAMODB_STORAGE_USD_PER_GB_MONTH },
    { service: 'DynamoDB', item: 'point-in-time recovery', quantity: storedGb, unit: 'GB-month', usd: storedGb * DYNAMODB_PITR_USD_PER_GB_MONTH },
  ];
  const sum = (ls: readonly CostLine[]): number => ls.reduce((a, l) => a + l.usd, 0);
  return { lines, totalUsd: sum(lines), monthly, monthlyUsd: sum(monthly) };
}

/** The usage of `factor` times the workload (e.g. 1e6 / measured events), every quantity scaled. */
export function scaleUsage(usage: Usage, factor: number): Usage {
  if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`scale factor must be a finite number >= 0, got ${factor}`);
  return {
    apiGatewayRequests: usage.apiGatewayRequests * factor,
    lambda: usage.lambda.map((l) => ({ ...l, invocations: l.invocations * factor, billedMs: l.billedMs * factor })),
    sqsRequests: usage.sqsRequests * factor,
    dynamodbWru: usage.dynamodbWru * factor,
    dynamodbRru: usage.dynamodbRru * factor,
    dynamodbStoredBytes: usage.dynamodbStoredBytes * factor,
    sesEmails: usage.sesEmails * factor,
    snsPublishes: usage.snsPublishes * factor,
    stepFunctionsTransitions: usage.stepFunctionsTransitions * factor,
    ...(usage.stepFunctionsExpressRequests !== undefined ? { stepFunctionsExpressRequests: usage.stepFunctionsExpressRequests * factor } : {}),
    ...(usage.stepFunctionsExpressGbSeconds !== undefined ? { stepFunctionsExpressGbSeconds: usage.stepFunctionsExpressGbSeconds * factor } : {}),
    logBytes: usage.logBytes * factor,
  };
}

/** Costs grouped by service (Lambda requests and duration of every function summed), largest first. */
export function byService(costs: Costs): Array<{ service: string; usd: number }> {
  const totals = new Map<string, number>();
  for (const l of costs.lines) totals.set(l.service, (totals.get(l.service) ?? 0) + l.usd);
  return [...totals].map(([service, usd]) => ({ service, usd })).sort((a, b) => b.usd - a.usd);
}
