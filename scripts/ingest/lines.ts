import { parseIngestLine, type IngestLine } from '../../functions/ingest/lines.js';
import { SesEventRecord } from '../../functions/events/ses-event.js';
import { parseOrThrow } from '../../functions/events/validation.js';
import { ValidationError } from '../../kernel/errors.js';
import { MAX_BODY_BYTES } from '../../kernel/settings.js';

/**
 * One line of a bulk file: what the API's own line parser takes (a Segment message or an order),
 * plus SES event records written as `{"type":"ses","record":{...SES event record...}}`. SES records
 * reach the API only inside SNS notifications (`POST /v1/email-events`), so such a line is checked
 * with the same SES schema the route applies to the notification's Message, then sent wrapped in
 * a notification. This is the format `winback simulate --out` writes for email events.
 */
export type BulkLine =
  | IngestLine
  | { readonly ok: true; readonly kind: 'ses'; readonly record: Record<string, unknown>; readonly raw: unknown };

// A cheap pre-check, so the Segment and order lines (the bulk of a file) are parsed once.
const SES_TYPE = /"type"\s*:\s*"ses"/;

export function parseBulkLine(text: string): BulkLine {
  if (!SES_TYPE.test(text)) return parseIngestLine(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseIngestLine(text);
  }
  if (!value || typeof value !== 'object' || (value as { type?: unknown }).type !== 'ses') return parseIngestLine(text);
  // The API's limit is on the notification body; the record is most of it.
  const size = Buffer.byteLength(text);
  if (size > MAX_BODY_BYTES) return { ok: false, reason: `line is over the ${MAX_BODY_BYTES}-byte request limit` };
  const record = (value as { record?: unknown }).record;
  if (!record || typeof record !== 'object' || Array.isArray(record)) return { ok: false, reason: 'record: an SES event record object is required' };
  try {
    parseOrThrow(SesEventRecord, record, 'record');
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, reason: error.message };
    throw error;
  }
  // The record is sent as written (unknown SES fields pass through, as they would from SES).
  return { ok: true, kind: 'ses', record: record as Record<string, unknown>, raw: value };
}
