import { gzipSync, gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { StoredEvent } from '../../kernel/events/stored-event.js';

/**
 * The SQS message between the ingest API and the processor: all events of one request in
 * one message when they fit, so a request is enqueued whole or not at all. Large requests
 * are gzipped; only a request too large even then is split (its events are idempotent,
 * so a retried partial enqueue still converges).
 */
export const QueueEnvelope = z.object({
  v: z.literal(1),
  events: z.array(StoredEvent).min(1),
});
export type QueueEnvelope = z.infer<typeof QueueEnvelope>;

const Compressed = z.object({ v: z.literal(1), gz: z.string().min(1) });

/** SQS allows 256 KiB per message (1 MiB since 2025, not on every emulator); keep headroom for attributes. */
export const MAX_MESSAGE_BYTES = 240 * 1024;

export function encodeEnvelopes(events: readonly StoredEvent[], maxBytes = MAX_MESSAGE_BYTES): string[] {
  if (events.length === 0) return [];
  const plain = JSON.stringify({ v: 1, events });
  if (Buffer.byteLength(plain) <= maxBytes) return [plain];
  const gz = JSON.stringify({ v: 1, gz: gzipSync(plain).toString('base64') });
  if (gz.length <= maxBytes || events.length === 1) return [gz];
  const mid = Math.ceil(events.length / 2);
  return [...encodeEnvelopes(events.slice(0, mid), maxBytes), ...encodeEnvelopes(events.slice(mid), maxBytes)];
}

export function decodeEnvelope(body: string): QueueEnvelope {
  const raw: unknown = JSON.parse(body);
  const compressed = Compressed.safeParse(raw);
  const value = compressed.success ? JSON.parse(gunzipSync(Buffer.from(compressed.data.gz, 'base64')).toString('utf8')) : raw;
  return QueueEnvelope.parse(value);
}
