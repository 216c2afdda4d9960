import { OrderEvent } from '../../kernel/events/order-event.js';
import { SegmentMessage } from '../events/segment-event.js';
import { parseOrThrow } from '../events/validation.js';
import { ValidationError } from '../../kernel/errors.js';
import { MAX_EVENT_BYTES } from '../../kernel/settings.js';

/**
 * One line of a bulk file (`winback ingest file.jsonl`), checked with the very schemas the API
 * uses, so a file and an HTTP client are held to the same rules. A line is a Segment message
 * (track, identify, page, screen, group or alias) or an order (type "order", or any object with an orderId).
 */
export type IngestLine =
  | { readonly ok: true; readonly kind: 'segment'; readonly message: SegmentMessage; readonly raw: unknown }
  | { readonly ok: true; readonly kind: 'order'; readonly order: OrderEvent; readonly raw: unknown }
  | { readonly ok: false; readonly reason: string };

export function parseIngestLine(text: string): IngestLine {
  if (Buffer.byteLength(text) > MAX_EVENT_BYTES) {
    return { ok: false, reason: `line is over the ${MAX_EVENT_BYTES}-byte event limit` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'line must be a JSON object' };
  const isOrder = (value as { type?: unknown }).type === 'order' || 'orderId' in value;
  try {
    return isOrder
      ? { ok: true, kind: 'order', order: parseOrThrow(OrderEvent, value), raw: value }
      : { ok: true, kind: 'segment', message: parseOrThrow(SegmentMessage, value), raw: value };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, reason: error.message };
    throw error;
  }
}
