import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelopes } from '../../functions/events/envelope.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';

const event = (i: number, padding = 0): StoredEvent => ({
  eventId: `seg:${i}`,
  customerId: `c${i % 7}`,
  kind: 'track',
  name: 'Product Viewed',
  timestamp: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:01.000Z',
  source: 'web',
  // Hashes, not repeated characters: padding that gzip cannot shrink to nothing.
  properties: { note: Array.from({ length: Math.ceil(padding / 64) }, (_, j) => createHash('sha256').update(`${i}-${j}`).digest('hex')).join(''), i },
});

describe('queue envelope', () => {
  it('packs a request into one message and round-trips it', () => {
    const events = Array.from({ length: 50 }, (_, i) => event(i));
    const bodies = encodeEnvelopes(events);
    expect(bodies).toHaveLength(1);
    expect(decodeEnvelope(bodies[0]!).events).toEqual(events);
  });

  it('gzips a large request instead of splitting it', () => {
    const events = Array.from({ length: 400 }, (_, i) => event(i, 600));
    const bodies = encodeEnvelopes(events);
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!)).toHaveProperty('gz');
    expect(decodeEnvelope(bodies[0]!).events).toHaveLength(400);
  });

  it('splits only what cannot fit even compressed, losing nothing', () => {
    const events = Array.from({ length: 60 }, (_, i) => event(i, 2000));
    const bodies = encodeEnvelopes(events, 20 * 1024);
    expect(bodies.length).toBeGreaterThan(1);
    for (const b of bodies) expect(b.length).toBeLessThanOrEqual(20 * 1024);
    expect(bodies.flatMap((b) => decodeEnvelope(b).events.map((e) => e.eventId))).toEqual(events.map((e) => e.eventId));
  });

  it('refuses a body that is not an envelope', () => {
    expect(() => decodeEnvelope('{"v":2,"events":[]}')).toThrow();
    expect(() => decodeEnvelope('not json')).toThrow(SyntaxError);
  });
});
