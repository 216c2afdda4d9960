/**
 * Resource settings shared by the CDK stack and the embedded local stack, so that
 * both create the same table, queues and redrive policies. Plain constants: no CDK imports.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Local secondary index ordering a customer's events by time: sk = `<iso timestamp>#<eventId>`. */
  byTimeIndex: 'byTime',
  byTimeSortKey: 'tsk',
  /** Global secondary index for lookups by a second key (tier / score band audiences, later issues). */
  gsi1: 'gsi1',
  gsi1PartitionKey: 'gsi1pk',
  gsi1SortKey: 'gsi1sk',
  /** Epoch seconds; DynamoDB deletes expired items in AWS (retention). dynalite ignores it. */
  ttlAttribute: 'expiresAt',
} as const;

/** Seconds a processor Lambda may run; the queue's visibility timeout is derived from it. */
export const PROCESSOR_TIMEOUT_SECONDS = 30;
/** AWS guidance: visibility timeout at least 6x the consumer's timeout. */
export const QUEUE_VISIBILITY_TIMEOUT_SECONDS = PROCESSOR_TIMEOUT_SECONDS * 6;
/** Receives before a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/** SQS batch size delivered to a processor invocation. */
export const PROCESSOR_BATCH_SIZE = 10;
/** Days a DLQ keeps messages (the SQS maximum is 14). */
export const DLQ_RETENTION_DAYS = 14;

export const QUEUES = {
  /** Validated web and order events from the ingest API. */
  events: 'winback-events',
  eventsDlq: 'winback-events-dlq',
  /** SES event publishing records, as SNS notifications. */
  emailEvents: 'winback-email-events',
  emailEventsDlq: 'winback-email-events-dlq',
} as const;

/** Segment's documented limits: 32 KB per event, 500 KB per batch request. */
export const MAX_BODY_BYTES = 500 * 1024;
export const MAX_EVENT_BYTES = 32 * 1024;

/**
 * CORS of the ingest API, for web pages that load analytics.js (or RudderStack's SDK) pointed at
 * winback: API Gateway's corsPreflight in AWS, the local runtime on `winback up`. The headers are
 * those the libraries send (Authorization with the write key, X-Retry-Count on retries,
 * RudderStack's AnonymousId); a page may read Retry-After, which the library honours on a 429.
 * Credentials (cookies) are never allowed: the write key authenticates, not the visitor.
 */
export const INGEST_CORS = {
  allowHeaders: ['authorization', 'content-type', 'content-encoding', 'x-retry-count', 'anonymousid'],
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  exposeHeaders: ['retry-after'],
  maxAgeSeconds: 3600,
} as const;

/** Name of the SES configuration set every winback email is sent with (event publishing, suppression). */
export const CONFIGURATION_SET_NAME = 'winback';
/** Days events are kept before DynamoDB's TTL expires them (the functions' EVENT_RETENTION_DAYS default). */
export const EVENT_RETENTION_DAYS = 730;
/** Seconds the ingest Lambda may run: well under API Gateway's 30 s integration timeout. */
export const INGEST_TIMEOUT_SECONDS = 10;

/**
 * Key prefix of the model registry, in the S3 bucket (MODEL_REGISTRY_URI = `s3://<bucket>/<prefix>`)
 * and under the data directory locally. The functions are granted object access below it only.
 */
export const MODEL_REGISTRY_PREFIX = 'models';
/** Churn probability whose crossing (either way) writes a score-change record (CHURN_THRESHOLD default). */
export const DEFAULT_CHURN_THRESHOLD = 0.6;

/**
 * Where the TF.js wasm backend's binaries ship: a directory of the Lambda bundle, hence
 * TFJS_WASM_DIR = `/var/task/<this>` in AWS (LAMBDA_TASK_ROOT is /var/task).
 */
export const TFJS_WASM_BUNDLE_DIR = 'wasm';

/**
 * State names of the scoring state machine. The local runtime runs the synthesized ASL with
 * aws-local-stepfunctions, whose task overrides are keyed by state name: renaming one is a
 * change to both stacks.
 */
export const SCORING_STATES = {
  prepare: 'PrepareScoring',
  scoreShards: 'ScoreShards',
  scoreShard: 'ScoreShard',
  summarise: 'Summarise',
  recordFailure: 'RecordFailure',
  failed: 'ScoringFailed',
} as const;

/** Dead-letter queues of the scheduled jobs (schedule deliveries that failed; failed async training runs). */
export const JOB_DEAD_LETTER_QUEUES = {
  training: 'winback-training-dlq',
  scoring: 'winback-scoring-dlq',
} as const;

/** Customers per segment of the distributed jobs (a manifest item); JOB_SEGMENT_CUSTOMERS overrides. */
export const DEFAULT_SEGMENT_CUSTOMERS = 1000;

/** Customers trained on at most, as a stratified sample above it; TRAINING_SAMPLE_CUSTOMERS overrides. */
export const DEFAULT_TRAINING_SAMPLE = 20_000;
