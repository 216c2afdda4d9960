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

/** Name of the SES configuration set every winback email is sent with (event publishing, suppression). */
export const CONFIGURATION_SET_NAME = 'winback';
/** Days events are kept before DynamoDB's TTL expires them (the functions' EVENT_RETENTION_DAYS default). */
export const EVENT_RETENTION_DAYS = 730;
/** Seconds the ingest Lambda may run: well under API Gateway's 30 s integration timeout. */
export const INGEST_TIMEOUT_SECONDS = 10;
