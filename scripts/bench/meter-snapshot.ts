/** What the request meter (meter.ts) counts, by context (function), service and command. */

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
  /** Standard executions (billed per state transition). */
  executions: number;
  /** States entered (and retries) in Standard executions, by state type (Task, Choice, Wait, Pass, Succeed, Fail, Map, Retry). */
  transitionsByType: Record<string, number>;
  /** Express executions: billed per execution and per GB-second of duration (64 MB steps, 100 ms steps), not per transition. */
  express?: ExpressStats;
}

export interface ExpressStats {
  executions: number;
  /** Sum of the executions' durations, each rounded up to 100 ms. */
  billedMs: number;
  /** States entered in them (logged like Standard's history, not billed). */
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

export const newCallStats = (): CallStats => ({
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
