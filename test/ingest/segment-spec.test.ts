import { Analytics } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { winback, winbackJson } from '../helpers/cli.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { customersByEmail, getProfile } from '../../functions/store/profiles.js';
import type { CustomerRecord } from '../../application/customer-record.js';

/** The whole Segment spec (track, identify, page, screen, group, alias) through the unmodified analytics-node client. */
const stackOf = useLocalStack();
const at = (minute: number): Date => new Date(Date.UTC(2026, 3, 1, 10, minute));

/** Sends what `send` queues through a fresh client, then waits until the stack has stored it. */
async function viaAnalyticsNode(send: (analytics: Analytics) => void): Promise<void> {
  const stack = stackOf();
  const analytics = new Analytics({ writeKey: stack.writeKey, host: stack.apiUrl, flushAt: 50, flushInterval: 100, maxRetries: 2 });
  const errors: unknown[] = [];
  analytics.on('error', (e) => errors.push(e));
  send(analytics);
  await analytics.closeAndFlush({ timeout: 20_000 });
  expect(errors).toEqual([]);
  await stack.drain({ timeoutMs: 30_000 });
}

describe('analytics-node sending all six types', () => {
  it("identify after anonymous views, an alias from a legacy id, a screen and a group: the new id's record holds them all", async () => {
    // Prepare: an anonymous visit, and a customer known under a legacy id (events, an order, traits and consent).
    const stack = stackOf();
    await viaAnalyticsNode((a) => {
      a.page({ anonymousId: 'anon-b', name: 'Home', messageId: 'b-anon-page', timestamp: at(0) });
      a.track({ anonymousId: 'anon-b', event: 'Product Viewed', messageId: 'b-anon-view', timestamp: at(1), properties: { sku: 'S1' } });
      a.identify({
        userId: 'legacy-b',
        messageId: 'b-legacy-identify',
        timestamp: at(2),
        traits: { email: 'bea@example.com', plan: 'gold', consent: { marketing: false } },
      });
      a.track({ userId: 'legacy-b', event: 'Product Added', messageId: 'b-legacy-add', timestamp: at(3), properties: { sku: 'S2' } });
    });
    const order = { orderId: 'b-o1', status: 'placed', customerId: 'legacy-b', currency: 'GBP', total: 30, items: [{ sku: 'S2', quantity: 1, unitPrice: 30 }], timestamp: at(4).toISOString() };
    expect((await post(stack, '/v1/orders', order)).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    expect(await queryCustomerEvents(stack.tableName, 'legacy-b')).toHaveLength(3);

    // Act: the visitor signs in as new-b; new-b is the legacy customer; then a screen and a group.
    await viaAnalyticsNode((a) => {
      a.identify({ userId: 'new-b', anonymousId: 'anon-b', messageId: 'b-identify', timestamp: at(5), traits: { firstName: 'Bea' } });
      a.alias({ userId: 'new-b', previousId: 'legacy-b', messageId: 'b-alias', timestamp: at(6) });
      a.screen({ userId: 'new-b', name: 'Cart', messageId: 'b-screen', timestamp: at(7), properties: { items: 1 } });
      a.group({ userId: 'new-b', groupId: 'acme', messageId: 'b-group', timestamp: at(8), traits: { name: 'Acme Ltd', plan: 'enterprise' } });
    });

    // Assess: `winback customers show new-b --json`
    const record = await winbackJson<CustomerRecord>('customers', 'show', 'new-b', '--data-dir', stack.dataDir);
    expect(record.events.map((e) => e.eventId)).toEqual([
      'seg:b-anon-page',
      'seg:b-anon-view',
      'seg:b-legacy-identify',
      'seg:b-legacy-add',
      'ord:b-o1:placed',
      'seg:b-identify',
      'seg:b-alias',
      'seg:b-screen',
      'seg:b-group',
    ]);
    expect(record.events.every((e) => e.customerId === 'new-b')).toBe(true);
    const screen = record.events.find((e) => e.eventId === 'seg:b-screen');
    expect(screen).toMatchObject({ kind: 'page', view: 'screen', name: 'Cart', properties: { items: 1 } });
    expect(record.events.find((e) => e.eventId === 'seg:b-alias')).toMatchObject({ kind: 'alias', previousId: 'legacy-b' });
    expect(record.events.find((e) => e.eventId === 'seg:b-group')).toMatchObject({ kind: 'group', groupId: 'acme' });
    // The legacy traits and consent followed; the group's traits are the account's, not the person's.
    expect(record.profile).toMatchObject({
      email: 'bea@example.com',
      traits: { email: 'bea@example.com', plan: 'gold', firstName: 'Bea' },
      consent: { marketing: { granted: false } },
      groupId: 'acme',
      groups: { acme: { name: 'Acme Ltd', plan: 'enterprise' } },
    });
    expect(await queryCustomerEvents(stack.tableName, 'legacy-b')).toEqual([]);
    expect(await queryCustomerEvents(stack.tableName, 'anon:anon-b')).toEqual([]);
    expect(await getProfile(stack.tableName, 'legacy-b')).toBeUndefined();
    expect(await customersByEmail(stack.tableName, 'bea@example.com')).toEqual(['new-b']);
    // and the text view names the account, the screen and the merge
    const shown = await winback('customers', 'show', 'new-b', '--data-dir', stack.dataDir);
    expect(shown.out).toMatch(/account\s+acme \(Acme Ltd\)/);
    expect(shown.out).toContain('screen Cart');
    expect(shown.out).toContain('alias: merged legacy-b into this customer');
  });

  it('events that arrive under the legacy id after the alias go to the new id, and a redelivered alias changes nothing', async () => {
    const stack = stackOf();
    await viaAnalyticsNode((a) => {
      a.track({ userId: 'legacy-b', event: 'Product Viewed', messageId: 'b-late', timestamp: at(9) });
      a.alias({ userId: 'new-b', previousId: 'legacy-b', messageId: 'b-alias', timestamp: at(6) });
    });
    const events = await queryCustomerEvents(stack.tableName, 'new-b');
    expect(events.map((e) => e.eventId)).toContain('seg:b-late');
    expect(events).toHaveLength(10);
    expect(await queryCustomerEvents(stack.tableName, 'legacy-b')).toEqual([]);
  });

  it('an alias that arrives before the previous id ever sent anything still ends with its events under the new id', async () => {
    const stack = stackOf();
    await viaAnalyticsNode((a) => a.alias({ userId: 'new-e', previousId: 'legacy-e', messageId: 'e-alias', timestamp: at(0) }));
    await viaAnalyticsNode((a) => {
      a.identify({ userId: 'legacy-e', messageId: 'e-identify', timestamp: at(1), traits: { email: 'eve@example.com', consent: { marketing: true } } });
      a.track({ userId: 'legacy-e', event: 'Product Added', messageId: 'e-add', timestamp: at(2) });
    });
    const order = { orderId: 'e-o1', status: 'placed', customerId: 'legacy-e', currency: 'EUR', total: 12.5, timestamp: at(3).toISOString() };
    expect((await post(stack, '/v1/orders', order)).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    const events = await queryCustomerEvents(stack.tableName, 'new-e');
    expect(events.map((e) => e.eventId)).toEqual(['seg:e-alias', 'seg:e-identify', 'seg:e-add', 'ord:e-o1:placed']);
    expect(await queryCustomerEvents(stack.tableName, 'legacy-e')).toEqual([]);
    const profile = await getProfile(stack.tableName, 'new-e');
    expect(profile).toMatchObject({ email: 'eve@example.com', consent: { marketing: { granted: true } } });
  });

  it('an alias and the previous id\'s events in one batch, in either order, converge', async () => {
    const stack = stackOf();
    const alias = { type: 'alias', userId: 'new-f', previousId: 'legacy-f', messageId: 'f-alias', timestamp: at(5).toISOString() };
    const track = (n: number) => ({ type: 'track', userId: 'legacy-f', event: 'Product Viewed', messageId: `f-${n}`, timestamp: at(n).toISOString() });
    expect((await post(stack, '/v1/batch', { batch: [track(1), alias, track(2)] })).status).toBe(200);
    expect((await post(stack, '/v1/batch', { batch: [alias, track(2), track(3), track(1)] })).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    expect((await queryCustomerEvents(stack.tableName, 'new-f')).map((e) => e.eventId)).toEqual(['seg:f-1', 'seg:f-2', 'seg:f-3', 'seg:f-alias']);
    expect(await queryCustomerEvents(stack.tableName, 'legacy-f')).toEqual([]);
  });

  it('a batch mixing all six types is answered 2xx and each is stored', async () => {
    const stack = stackOf();
    const base = { userId: 'mix-1', timestamp: at(0).toISOString() };
    const batch = [
      { ...base, type: 'identify', messageId: 'mix-i', traits: { email: 'mix@example.com' } },
      { ...base, type: 'track', messageId: 'mix-t', event: 'Product Viewed' },
      { ...base, type: 'page', messageId: 'mix-p', name: 'Home' },
      { ...base, type: 'screen', messageId: 'mix-s', name: 'Home' },
      { ...base, type: 'group', messageId: 'mix-g', groupId: 42, traits: { name: 'Numbers Inc' } },
      { ...base, type: 'alias', messageId: 'mix-a', previousId: 'mix-old' },
    ];
    const res = await post(stack, '/v1/batch', { batch });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    await stack.drain({ timeoutMs: 30_000 });
    const events = await queryCustomerEvents(stack.tableName, 'mix-1');
    expect(events.map((e) => e.kind).sort()).toEqual(['alias', 'group', 'identify', 'page', 'page', 'track']);
    expect((await getProfile(stack.tableName, 'mix-1'))?.groups).toEqual({ '42': { name: 'Numbers Inc' } });
  });

  it('/v1/screen, /v1/group and /v1/alias (and their one-letter paths) take one message each', async () => {
    const stack = stackOf();
    const one = { userId: 'route-1', timestamp: at(0).toISOString() };
    expect((await post(stack, '/v1/screen', { ...one, messageId: 'r-s', name: 'Home' })).status).toBe(200);
    expect((await post(stack, '/v1/g', { ...one, messageId: 'r-g', groupId: 'g1' })).status).toBe(200);
    expect((await post(stack, '/v1/alias', { ...one, messageId: 'r-a', previousId: 'route-0' })).status).toBe(200);
    const wrong = await post(stack, '/v1/s', { ...one, type: 'track', event: 'x' });
    expect(wrong.status).toBe(400);
    expect(wrong.body['field']).toBe('type');
    const noPrevious = await post(stack, '/v1/a', { ...one, messageId: 'r-a2' });
    expect(noPrevious.status).toBe(400);
    expect(noPrevious.body['field']).toBe('previousId');
    await stack.drain({ timeoutMs: 30_000 });
    expect((await queryCustomerEvents(stack.tableName, 'route-1')).map((e) => e.kind).sort()).toEqual(['alias', 'group', 'page']);
  });
});

describe('a batch with invalid messages', () => {
  it('stores the valid ones and names the dropped one by index, messageId and reason', async () => {
    const stack = stackOf();
    const good = (n: number) => ({ type: 'track', userId: 'partial-1', event: 'Product Viewed', messageId: `pb-${n}`, timestamp: at(n).toISOString() });
    const bad = { type: 'track', userId: 'partial-1', messageId: 'pb-bad', timestamp: at(9).toISOString() };
    const res = await post(stack, '/v1/batch', { batch: [good(1), good(2), bad, good(3)] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      dropped: [{ index: 2, messageId: 'pb-bad', field: 'batch[2].event', reason: expect.stringMatching(/^batch\[2\]\.event: /) }],
    });
    await stack.drain({ timeoutMs: 30_000 });
    expect((await queryCustomerEvents(stack.tableName, 'partial-1')).map((e) => e.eventId)).toEqual(['seg:pb-1', 'seg:pb-2', 'seg:pb-3']);
  });

  it('a batch with no valid message, or a bad envelope, is a 400 naming the problem', async () => {
    const stack = stackOf();
    const none = await post(stack, '/v1/batch', { batch: [{ type: 'track', userId: 'x' }, { type: 'nope', userId: 'x' }] });
    expect(none.status).toBe(400);
    expect(none.body['field']).toBe('batch[0].event');
    expect(none.body['issues']).toHaveLength(2);
    const envelope = await post(stack, '/v1/batch', { batch: 'not a list' });
    expect(envelope.status).toBe(400);
    expect(envelope.body['field']).toBe('batch');
  });
});

describe("Segment's clock-skew correction", () => {
  it('moves a device clock that is hours off by the difference between sentAt and the time winback received it', async () => {
    // Prepare: a device whose clock is 3 hours ahead, as analytics.js sends it (timestamp and sentAt by that clock).
    const stack = stackOf();
    const skewMs = 3 * 3600_000;
    const before = Date.now();
    const deviceNow = new Date(before + skewMs);
    const happened = new Date(deviceNow.getTime() - 60_000); // a minute before it was sent, by the device's clock
    // Act
    const res = await post(stack, '/v1/t', {
      type: 'track', userId: 'skew-1', event: 'Product Viewed', messageId: 'skew-a',
      timestamp: happened.toISOString(), sentAt: deviceNow.toISOString(), writeKey: stack.writeKey,
    }, { key: null, headers: { 'content-type': 'text/plain' } });
    // and a batch whose sentAt is on the batch, with originalTimestamp (RudderStack's and analytics-node's fields)
    await post(stack, '/v1/batch', {
      sentAt: deviceNow.toISOString(),
      batch: [{ type: 'track', userId: 'skew-1', event: 'Product Added', messageId: 'skew-b', originalTimestamp: happened.toISOString() }],
    });
    // and a server that sets both (already corrected, e.g. an import): kept as is
    await post(stack, '/v1/batch', {
      sentAt: deviceNow.toISOString(),
      batch: [{ type: 'track', userId: 'skew-1', event: 'Imported', messageId: 'skew-c', timestamp: '2025-01-01T00:00:00.000Z', originalTimestamp: '2025-01-01T00:00:00.000Z' }],
    });
    const after = Date.now();
    await stack.drain({ timeoutMs: 30_000 });
    // Assess: corrected to about a minute before winback received it, not three hours ahead
    expect(res.status).toBe(200);
    const events = await queryCustomerEvents(stack.tableName, 'skew-1');
    const byId = new Map(events.map((e) => [e.eventId, e]));
    for (const id of ['seg:skew-a', 'seg:skew-b']) {
      const e = byId.get(id)!;
      const t = Date.parse(e.timestamp);
      expect(t).toBeGreaterThanOrEqual(before - 60_000);
      expect(t).toBeLessThanOrEqual(after - 60_000);
      expect(Date.parse(e.receivedAt) - t).toBe(60_000);
      expect(e.originalTimestamp).toBe(happened.toISOString());
    }
    expect(byId.get('seg:skew-c')?.timestamp).toBe('2025-01-01T00:00:00.000Z');
    expect(byId.get('seg:skew-c')?.originalTimestamp).toBeUndefined();
  });

  it('keeps a sender time exactly when its clock agrees with winback within a minute', async () => {
    const stack = stackOf();
    const sentAt = new Date(Date.now() + 20_000).toISOString();
    await post(stack, '/v1/batch', { sentAt, batch: [{ type: 'page', userId: 'skew-2', name: 'Home', messageId: 'skew-d', timestamp: '2026-04-01T10:00:00.000Z' }] });
    await stack.drain({ timeoutMs: 30_000 });
    const [event] = await queryCustomerEvents(stack.tableName, 'skew-2');
    expect(event?.timestamp).toBe('2026-04-01T10:00:00.000Z');
    expect(event?.originalTimestamp).toBeUndefined();
  });
});
