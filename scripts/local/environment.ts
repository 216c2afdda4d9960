import { interceptLocalhostDns } from 'fauxqs';
import { resetConfig } from '../../functions/commons/config.js';
import { resetClients } from '../../functions/commons/clients.js';
import { forgetWrittenItems } from '../../functions/store/events.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators.js';
import type { LocalSnsSigning } from './sns-signing.js';
import { LOCAL_EMAIL_EVENTS_TOPIC_ARN } from '../../functions/campaigns/ses-events.js';

/**
 * Points this process's handlers at a local stack. The handlers read only what production
 * reads: their typed config (functions/commons/config.ts) and the SDK's own
 * AWS_ENDPOINT_URL_<SERVICE> variables. Only the endpoints differ from AWS.
 */
export interface StackEnvironment {
  readonly endpoints: { readonly dynamodb: string; readonly ses: string };
  readonly tableName: string;
  readonly queueUrls: { readonly events: string; readonly eventsDlq: string; readonly emailEvents: string };
  readonly writeKeys: Readonly<Record<string, string>>;
  /** The data dir's SNS signing key: notifications to /v1/email-events are verified against it. */
  readonly snsSigning?: LocalSnsSigning;
}

export function applyStackEnvironment(env: StackEnvironment): void {
  ensureLocalhostDns();
  // The SQS client sends each request to its QueueUrl's host unless that host equals the
  // endpoint's (it would otherwise warn on every call); fauxqs names queues
  // http://sqs.<region>.localhost:<port>/..., so that origin is the SQS endpoint.
  const sqsEndpoint = new URL(env.queueUrls.events).origin;
  const values: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    // Dummy credentials take precedence over any profile, so a local run can never reach real AWS.
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: env.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    // fauxqs serves SNS on the same port (email feedback arrives through SNS in AWS).
    AWS_ENDPOINT_URL_SNS: sqsEndpoint,
    AWS_ENDPOINT_URL_SESV2: env.endpoints.ses,
    POWERTOOLS_SERVICE_NAME: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'winback-local',
    TABLE_NAME: env.tableName,
    EVENTS_QUEUE_URL: env.queueUrls.events,
    EVENTS_DLQ_URL: env.queueUrls.eventsDlq,
    EMAIL_EVENTS_QUEUE_URL: env.queueUrls.emailEvents,
    WRITE_KEYS: JSON.stringify(env.writeKeys),
    // The local stack signs its SES notifications with the data dir's key and verifies them as AWS
    // does (only without a key, in a bare environment, does it fall back to the write key).
    VERIFY_SNS_SIGNATURE: env.snsSigning ? 'true' : 'false',
    // ... and from its own topic only, as the CDK stack accepts only the SES event topic.
    ...(env.snsSigning
      ? { LOCAL_SNS_SIGNING_CERT_URL: env.snsSigning.certUrl, LOCAL_SNS_SIGNING_KEY_FILE: env.snsSigning.keyFile, SNS_TOPIC_ARNS: LOCAL_EMAIL_EVENTS_TOPIC_ARN }
      : {}),
  };
  if (!env.snsSigning) {
    delete process.env['LOCAL_SNS_SIGNING_CERT_URL'];
    delete process.env['LOCAL_SNS_SIGNING_KEY_FILE'];
    delete process.env['SNS_TOPIC_ARNS'];
  }
  Object.assign(process.env, values);
  delete process.env.AWS_SESSION_TOKEN;
  resetConfig();
  resetClients();
  forgetWrittenItems();
}

let dnsIntercepted = false;

/**
 * Resolves `*.localhost` to 127.0.0.1 in this process, which RFC 6761 reserves for loopback
 * anyway but glibc does not resolve. Needed for fauxqs queue URLs (see applyStackEnvironment);
 * other names are left to the system resolver.
 */
export function ensureLocalhostDns(): void {
  if (dnsIntercepted) return;
  interceptLocalhostDns('localhost');
  dnsIntercepted = true;
}

/**
 * What the campaign code needs once the local API has a URL: links in emails point at it, and
 * SES Send/Delivery events (which AWS would publish) are posted back to its email-events route.
 */
export interface PublicEnvironment {
  readonly apiUrl: string;
  readonly writeKey: string;
  readonly unsubscribeSecret: string;
}

export function applyPublicEnvironment(env: PublicEnvironment): void {
  Object.assign(process.env, {
    PUBLIC_BASE_URL: env.apiUrl,
    LOCAL_SES_EVENTS_URL: `${env.apiUrl}/v1/email-events`,
    LOCAL_SES_EVENTS_WRITE_KEY: env.writeKey,
    UNSUBSCRIBE_SECRET: env.unsubscribeSecret,
    // The local SES has no sending quota; the limiter still runs, at a rate that never binds.
    SES_MAX_SEND_RATE: process.env['SES_MAX_SEND_RATE'] ?? '1000',
  });
  resetConfig();
}
