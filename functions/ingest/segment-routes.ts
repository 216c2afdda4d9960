import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Config } from '../commons/config.js';
import { json } from '../commons/http.js';
import { logger } from '../commons/logger.js';
import { ConfigError, PayloadTooLargeError, ValidationError } from '../../kernel/errors.js';
import { MAX_EVENT_BYTES } from '../../kernel/settings.js';
import { SEGMENT_TYPES, SegmentBatch, SegmentMessage, type SegmentType } from '../events/segment-event.js';
import { normalizeSegment } from '../events/normalize.js';
import { assertStorable, findUnstorable, parseOrThrow } from '../events/validation.js';
import { enqueueEvents } from './enqueue.js';
import { readAuthenticated } from './request.js';

/**
 * Segment's HTTP Tracking API, as its libraries call it: /v1/batch (and /v1/b, the browser
 * library's batching path, and /v1/import) and one route per type, under its name and under its
 * first letter (/v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a: analytics.js's per-event paths).
 */
export interface SegmentRouteContext {
  readonly config: Config;
  readonly now: () => Date;
}

type SegmentRoute = (event: APIGatewayProxyEventV2, ctx: SegmentRouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

/** A message of a batch that was not stored, and why (in the 200 answer of a partly invalid batch). */
export interface DroppedMessage {
  readonly index: number;
  readonly messageId?: string;
  /** The first offending field, e.g. `batch[3].event`. */
  readonly field: string;
  readonly reason: string;
}

function queueUrl(config: Config): string {
  if (!config.EVENTS_QUEUE_URL) throw new ConfigError('EVENTS_QUEUE_URL is not configured');
  return config.EVENTS_QUEUE_URL;
}

/** The message, or why it cannot be stored and the field at fault. */
function checkMessage(raw: unknown, prefix: string): { parsed: SegmentMessage } | { field: string; reason: string } {
  // Before anything serialises it: deep nesting would overflow the stack of JSON.stringify.
  const unstorable = findUnstorable(raw, prefix);
  if (unstorable) return unstorable;
  const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (size > MAX_EVENT_BYTES) return { field: prefix, reason: `${prefix} is ${size} bytes; the limit is ${MAX_EVENT_BYTES} bytes` };
  try {
    return { parsed: parseOrThrow(SegmentMessage, raw, prefix) };
  } catch (error) {
    if (error instanceof ValidationError) return { field: error.field ?? prefix, reason: error.message };
    throw error;
  }
}

/**
 * Splits a batch into the messages to store and those to drop. Segment's own API accepts a batch
 * and drops its invalid messages; its libraries never retry a 4xx, so refusing the whole batch for
 * one bad neighbour would lose every valid message with it.
 */
export function splitBatch(batch: readonly unknown[]): { messages: SegmentMessage[]; dropped: DroppedMessage[] } {
  const messages: SegmentMessage[] = [];
  const dropped: DroppedMessage[] = [];
  batch.forEach((raw, index) => {
    const checked = checkMessage(raw, `batch[${index}]`);
    if ('parsed' in checked) {
      messages.push(checked.parsed);
      return;
    }
    const messageId = (raw as { messageId?: unknown } | null)?.messageId;
    dropped.push({ index, ...(typeof messageId === 'string' ? { messageId: messageId.slice(0, 200) } : {}), field: checked.field, reason: checked.reason });
  });
  return { messages, dropped };
}

export const segmentBatch: SegmentRoute = async (event, ctx) => {
  const { body, source } = readAuthenticated(event, ctx.config);
  const envelope = parseOrThrow(SegmentBatch, body);
  const { messages, dropped } = splitBatch(envelope.batch);
  if (messages.length === 0) {
    const first = dropped[0]!;
    throw new ValidationError(
      `every message of the batch is invalid; ${first.reason}`,
      first.field,
      dropped.slice(0, 20).map((d) => ({ path: `batch[${d.index}]`, message: d.reason })),
    );
  }
  const receivedAt = ctx.now().toISOString();
  const normalize = { receivedAt, source, ...(envelope.sentAt ? { sentAt: envelope.sentAt } : {}), ...(envelope.context ? { context: envelope.context } : {}) };
  await enqueueEvents(queueUrl(ctx.config), messages.map((m) => normalizeSegment(m, normalize)));
  if (dropped.length === 0) return json(200, { success: true });
  logger.warn('batch stored with invalid messages dropped', { stored: messages.length, dropped: dropped.length });
  return json(200, { success: true, dropped });
};

/** One message; the route implies its type (a `type` in the body must agree). */
export const segmentSingle =
  (type: SegmentType): SegmentRoute =>
  async (event, ctx) => {
    const { body, source } = readAuthenticated(event, ctx.config);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body must be a JSON object', '(body)');
    const given = (body as { type?: unknown }).type;
    if (given !== undefined && given !== type) {
      throw new ValidationError(`type: ${JSON.stringify(given)} does not match the route /v1/${type}`, 'type');
    }
    assertStorable(body);
    const message = parseOrThrow(SegmentMessage, { ...body, type });
    const size = Buffer.byteLength(JSON.stringify(message));
    if (size > MAX_EVENT_BYTES) throw new PayloadTooLargeError(MAX_EVENT_BYTES, size);
    await enqueueEvents(queueUrl(ctx.config), [normalizeSegment(message, { receivedAt: ctx.now().toISOString(), source })]);
    return json(200, { success: true });
  };

/** Route path -> handler, for every Segment type under its name and its first letter. */
export function segmentRoutes(): Record<string, SegmentRoute> {
  const routes: Record<string, SegmentRoute> = { '/v1/batch': segmentBatch, '/v1/b': segmentBatch, '/v1/import': segmentBatch };
  for (const type of SEGMENT_TYPES) {
    routes[`/v1/${type}`] = segmentSingle(type);
    routes[`/v1/${type[0]}`] = segmentSingle(type);
  }
  return routes;
}
