import { describe, expect, it } from 'vitest';
import { normalizeSegment, normalizeSesRecord } from '../../functions/events/normalize.js';
import { canonicalJson } from '../../kernel/ids.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import { SegmentMessage } from '../../functions/events/segment-event.js';
import { OrderEvent } from '../../kernel/events/order-event.js';
import { SesEventRecord } from '../../functions/events/ses-event.js';
import { StoredEvent } from '../../kernel/events/stored-event.js';
import { sesFixture } from '../helpers/ses-fixtures.js';

const ctx = { receivedAt: '2026-01-02T03:04:05.000Z', source: 'web' };
describe('normalizeSegment', () => {
  it('keys a track event by its messageId and converts the time to UTC', () => {
    // Prepare
    const message = SegmentMessage.parse({
      type: 'track',
      event: 'Product Viewed',
      userId: 'u1',
      messageId: 'm-1',
      timestamp: '2026-01-01T10:00:00+02:00',
      properties: { sku: 'A' },
    });
    // Act
    const event = normalizeSegment(message, ctx);
    // Assess
    expect(StoredEvent.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      eventId: 'seg:m-1',
      customerId: 'u1',
      kind: 'track',
      name: 'Product Viewed',
      timestamp: '2026-01-01T08:00:00.000Z',
      properties: { sku: 'A' },
    });
  });

  it('gives a message without a messageId the same id on every delivery', () => {
    const message = SegmentMessage.parse({ type: 'page', anonymousId: 'a1', timestamp: '2026-01-01T00:00:00Z', name: 'Home' });
    const first = normalizeSegment(message, ctx);
    const again = normalizeSegment({ ...message }, { ...ctx, receivedAt: '2026-02-01T00:00:00.000Z' });
    expect(first.eventId).toBe(again.eventId);
    expect(first.eventId).toMatch(/^seg:h-[0-9a-f]{32}$/);
    expect(first.customerId).toBe('anon:a1');
  });

  it('copies the context timezone into identify traits for quiet hours', () => {
    const message = SegmentMessage.parse({
      type: 'identify',
      userId: 'u2',
      traits: { email: 'x@example.com' },
      context: { timezone: 'Europe/London' },
    });
    const event = normalizeSegment(message, ctx);
    expect(event.traits).toEqual({ email: 'x@example.com', timezone: 'Europe/London' });
    expect(event.timestamp).toBe(ctx.receivedAt);
  });

  it('reads analytics.js messages: userId null until identified, context kept within its limits', () => {
    const message = SegmentMessage.parse({
      type: 'track',
      event: 'Product Viewed',
      userId: null,
      anonymousId: 'a9',
      messageId: 'ajs-next-1',
      context: {
        userAgent: 'x'.repeat(5000),
        locale: 'en-GB',
        timezone: 'Europe/London',
        campaign: { source: 'newsletter', name: 'spring', nested: { no: 1 } },
        page: { url: 'https://shop.example.com/' },
        library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
      },
    });
    const event = normalizeSegment(message, ctx);
    expect(StoredEvent.parse(event)).toEqual(event);
    expect(event.customerId).toBe('anon:a9');
    expect(event.userId).toBeUndefined();
    expect(event.context).toEqual({ userAgent: 'x'.repeat(1000), locale: 'en-GB', timezone: 'Europe/London', campaign: { source: 'newsletter', name: 'spring' } });
  });

  it('stores a screen as a page marked view=screen, a group with its account, an alias with the previous id', () => {
    const base = { userId: 'u5', timestamp: '2026-01-01T00:00:00Z' };
    const screen = normalizeSegment(SegmentMessage.parse({ ...base, type: 'screen', name: 'Cart' }), ctx);
    const group = normalizeSegment(SegmentMessage.parse({ ...base, type: 'group', groupId: 7, traits: { name: 'Acme' } }), ctx);
    const alias = normalizeSegment(SegmentMessage.parse({ ...base, type: 'alias', previousId: 'old-5' }), ctx);
    expect(screen).toMatchObject({ kind: 'page', name: 'Cart', view: 'screen' });
    expect(group).toMatchObject({ kind: 'group', groupId: '7', traits: { name: 'Acme' } });
    expect(alias).toMatchObject({ kind: 'alias', previousId: 'old-5', customerId: 'u5' });
    for (const e of [screen, group, alias]) expect(StoredEvent.parse(e)).toEqual(e);
    expect(SegmentMessage.safeParse({ ...base, type: 'alias', previousId: 'u5' }).success).toBe(false);
  });

  it('gives a message without a messageId the same id whatever its sentAt (a retry sends a new one)', () => {
    const message = { type: 'page', anonymousId: 'a1', timestamp: '2026-01-01T00:00:00Z', name: 'Home' };
    const first = normalizeSegment(SegmentMessage.parse({ ...message, sentAt: '2026-01-01T00:00:01Z' }), ctx);
    const retry = normalizeSegment(SegmentMessage.parse({ ...message, sentAt: '2026-01-01T00:00:09Z' }), ctx);
    expect(first.eventId).toBe(retry.eventId);
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }));
  });
});

describe('normalizeOrder', () => {
  it('keys an order by id and status, so placed and refunded are two facts', () => {
    const order = OrderEvent.parse({
      orderId: 'o-9',
      status: 'placed',
      customerId: 'c-1',
      email: 'c1@example.com',
      items: [{ sku: 's', quantity: 2, unitPrice: 5 }],
      currency: 'GBP',
      total: 10,
      timestamp: '2026-01-01T00:00:00Z',
    });
    const placed = normalizeOrder(order, ctx);
    const refunded = normalizeOrder({ ...order, status: 'refunded' }, ctx);
    expect(placed.eventId).toBe('ord:o-9:placed');
    expect(refunded.eventId).toBe('ord:o-9:refunded');
    expect(placed.order).toMatchObject({ total: 10, discount: 0, items: [{ sku: 's', quantity: 2 }] });
    expect(placed.traits).toEqual({ email: 'c1@example.com' });
  });
});

describe('normalizeSesRecord', () => {
  it('turns a permanent bounce into one event per bounced recipient, keyed without the raw address', () => {
    const record = SesEventRecord.parse(sesFixture('bounce-permanent'));
    const [only, ...rest] = normalizeSesRecord(record, { ...ctx, source: 'ses' });
    expect(rest).toHaveLength(0);
    expect(only!.recipient).toBe('recipient@example.com');
    expect(only!.event.eventId).toMatch(/^ses:EXAMPLE7c191be45-[^:]+:bounce:[0-9a-f]{16}$/);
    expect(only!.event.eventId).not.toContain('@');
    expect(only!.event.email).toMatchObject({ type: 'bounce', bounceType: 'Permanent', bounceSubType: 'General' });
    expect(only!.event.timestamp).toBe('2017-08-05T00:41:02.669Z');
  });

  it('distinguishes two opens of the same message by their time', () => {
    const record = SesEventRecord.parse(sesFixture('open'));
    const later = SesEventRecord.parse({ ...(sesFixture('open') as object), open: { timestamp: '2017-08-09T23:00:00.000Z' } });
    const a = normalizeSesRecord(record, ctx)[0]!.event.eventId;
    const b = normalizeSesRecord(later, ctx)[0]!.event.eventId;
    expect(a).not.toBe(b);
    expect(normalizeSesRecord(record, ctx)[0]!.event.eventId).toBe(a);
  });

  it('reads topic opt-outs from a Subscription event', () => {
    const record = SesEventRecord.parse(sesFixture('subscription'));
    const [event] = normalizeSesRecord(record, ctx);
    expect(event!.event.email).toMatchObject({ unsubscribedAll: true, unsubscribedTopics: ['ExampleTopicName'] });
  });

  it.each(['send', 'delivery', 'click', 'complaint', 'reject', 'delivery-delay', 'rendering-failure', 'bounce-transient'])(
    'accepts the AWS example %s record',
    (name) => {
      const record = SesEventRecord.parse(sesFixture(name));
      const events = normalizeSesRecord(record, ctx);
      expect(events.length).toBe(1);
      expect(StoredEvent.omit({ customerId: true }).parse(events[0]!.event)).toBeTruthy();
    },
  );

  it('rejects an unknown event type, naming it', () => {
    const result = SesEventRecord.safeParse({ ...(sesFixture('send') as object), eventType: 'Teleport' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toContain('"Teleport"');
    expect(result.error!.issues[0]!.path).toEqual(['eventType']);
  });
});
