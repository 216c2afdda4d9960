import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Config } from '../commons/config.js';
import { AuthenticationError, ConfigError, MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../../kernel/errors.js';
import { json } from '../commons/http.js';
import { OrderBatch, OrderEvent } from '../../kernel/events/order-event.js';
import { SesEventRecord, SnsEnvelope } from '../events/ses-event.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import { assertStorable, parseOrThrow } from '../events/validation.js';
import { authenticate, bodyBytes, parseJson, readAuthenticated, writeKeyFromHeader } from './request.js';
import { segmentRoutes } from './segment-routes.js';
import { enqueueEvents, sendBody } from './enqueue.js';
import { SNS_MAX_AGE_MS, verifySnsSignature, type CertificateFetcher } from './sns-signature.js';
import { claimSnsMessage, releaseSnsMessage } from '../store/sns-deliveries.js';
import { logger } from '../commons/logger.js';
import { shopifyWebhook } from './shopify/shopify-webhook.js';

export interface RouteContext {
  readonly config: Config;
  readonly now: () => Date;
  readonly fetchCertificate?: CertificateFetcher;
}

type RouteHandler = (event: APIGatewayProxyEventV2, ctx: RouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

const OK = (): APIGatewayProxyStructuredResultV2 => json(200, { success: true });

function requireQueue(url: string | undefined, name: string): string {
  if (!url) throw new ConfigError(`${name} is not configured`);
  return url;
}

const orders: RouteHandler = async (event, ctx) => {
  const { body, source } = readAuthenticated(event, ctx.config);
  assertStorable(body);
  const list =
    body && typeof body === 'object' && 'batch' in body ? parseOrThrow(OrderBatch, body).batch : [parseOrThrow(OrderEvent, body)];
  const receivedAt = ctx.now().toISOString();
  await enqueueEvents(requireQueue(ctx.config.EVENTS_QUEUE_URL, 'EVENTS_QUEUE_URL'), list.map((o) => normalizeOrder(o, { receivedAt, source })));
  return OK();
};

/** MessageIds are remembered a little longer than a signed notification stays fresh (SNS_MAX_AGE_MS). */
const SNS_REPLAY_KEEP_SECONDS = Math.ceil((SNS_MAX_AGE_MS + 10 * 60 * 1000) / 1000);

const NO_SNS_HOST = /(?!)/;

const SUBSCRIBE_URL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

/**
 * SES event publishing records as SNS HTTP(S) notifications. In AWS they arrive through SNS -> SQS;
 * this route is for an HTTPS subscription and for the local stack, and feeds the same queue
 * with the same SNS envelope, so one processor handles both.
 */
const emailEvents: RouteHandler = async (event, ctx) => {
  const bytes = bodyBytes(event, ctx.config.MAX_BODY_BYTES);
  const envelope = parseOrThrow(SnsEnvelope, parseJson(bytes));
  if (ctx.config.VERIFY_SNS_SIGNATURE) {
    // The local stack trusts its own key only: no real SNS delivers to it, and an SNS host URL would mean a fetch that leaves the machine.
    const local = ctx.config.LOCAL_SNS_SIGNING_CERT_URL;
    await verifySnsSignature(envelope, ctx.fetchCertificate, local ? NO_SNS_HOST : undefined, { now: ctx.now(), ...(local ? { trustedCertUrls: [local] } : {}) });
  } else {
    authenticate(ctx.config.WRITE_KEYS, writeKeyFromHeader(event));
  }
  const topics = ctx.config.SNS_TOPIC_ARNS;
  if (topics.length > 0 && !topics.includes(envelope.TopicArn)) {
    throw new AuthenticationError('SNS topic is not one this endpoint accepts');
  }
  if (envelope.Type === 'SubscriptionConfirmation') {
    if (ctx.config.VERIFY_SNS_SIGNATURE && envelope.SubscribeURL && SUBSCRIBE_URL.test(envelope.SubscribeURL)) {
      await fetch(envelope.SubscribeURL);
    }
    return OK();
  }
  if (envelope.Type === 'UnsubscribeConfirmation') return OK();
  let record: unknown;
  try {
    record = JSON.parse(envelope.Message);
  } catch (error) {
    throw new ValidationError('Message: not a JSON SES event record', 'Message', [], { cause: error });
  }
  parseOrThrow(SesEventRecord, record, 'Message');
  const queue = requireQueue(ctx.config.EMAIL_EVENTS_QUEUE_URL, 'EMAIL_EVENTS_QUEUE_URL');
  // A replay (same MessageId) is acknowledged, as SNS expects of a redelivery, and changes nothing.
  const table = ctx.config.TABLE_NAME;
  if (!(await claimSnsMessage(table, envelope.MessageId, ctx.now(), SNS_REPLAY_KEEP_SECONDS))) {
    logger.info('SNS notification already accepted: replay ignored', { topic: envelope.TopicArn });
    return json(200, { success: true, duplicate: true });
  }
  try {
    await sendBody(queue, bytes.toString('utf8'));
  } catch (error) {
    await releaseSnsMessage(table, envelope.MessageId);
    throw error;
  }
  return OK();
};

const health: RouteHandler = async () => json(200, { ok: true, service: 'winback-ingest' });

const ROUTES: Record<string, Partial<Record<string, RouteHandler>>> = {
  ...Object.fromEntries(Object.entries(segmentRoutes()).map(([path, handler]) => [path, { POST: handler }])),
  '/v1/orders': { POST: orders },
  '/v1/email-events': { POST: emailEvents },
  '/webhooks/shopify': { POST: shopifyWebhook },
  '/healthz': { GET: health },
};

export function route(event: APIGatewayProxyEventV2): RouteHandler {
  const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
  const methods = ROUTES[path];
  if (!methods) throw new RouteNotFoundError(`no route for ${path}`);
  const handler = methods[event.requestContext.http.method.toUpperCase()];
  if (!handler) {
    throw new MethodNotAllowedError(`${event.requestContext.http.method} is not allowed on ${path}; use ${Object.keys(methods).join(', ')}`);
  }
  return handler;
}
