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
import { verifySnsSignature, type CertificateFetcher } from './sns-signature.js';
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
    await verifySnsSignature(envelope, ctx.fetchCertificate);
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
  await sendBody(requireQueue(ctx.config.EMAIL_EVENTS_QUEUE_URL, 'EMAIL_EVENTS_QUEUE_URL'), bytes.toString('utf8'));
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
