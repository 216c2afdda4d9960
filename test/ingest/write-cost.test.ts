import { describe, expect, it } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents, customerEventKeys } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';
import { queryPrefix } from '../../functions/store/query.js';
import { customerPk } from '../../functions/store/keys.js';

/**
 * What ingest writes per event (README "Storage design"): one item per event, keyed so that a
 * redelivery overwrites it, no index copy unless its key cannot place it in time, and one profile
 * patch per identify, keyed by its event.
 */
const stackOf = useLocalStack();
const items = (table: string, customerId: string, prefix: string) => queryPrefix(table, customerPk(customerId), prefix, { consistent: true });
const identify = (userId: string, messageId: string, timestamp: string, traits: Record<string, unknown>) => ({
  type: 'identify',
  userId,
  messageId,
  timestamp,
  traits,
});

describe('ingest writes', () => {
  it('a retried message (same messageId, another sentAt, so another skew-corrected time) is one item', async () => {
    // Prepare: a device clock 3 hours ahead; the library retries the batch 40 minutes later (new sentAt).
    const stack = stackOf();
    const skewMs = 3 * 3600_000;
    const happened = new Date(Date.now() + skewMs - 60_000).toISOString();
    const message = { type: 'track', userId: 'retry-1', event: 'Product Viewed', messageId: 'retry-a', timestamp: happened };
    // Act
    for (const sentAt of [Date.now() + skewMs, Date.now() + skewMs - 40 * 60_000]) {
      expect((await post(stack, '/v1/batch', { sentAt: new Date(sentAt).toISOString(), batch: [message] })).status).toBe(200);
      await stack.drain({ timeoutMs: 30_000 });
    }
    // Assess: one item, placed by its corrected time (the second delivery's)
    const stored = await items(stack.tableName, 'retry-1', 'E#');
    expect(stored).toHaveLength(1);
    const [event] = await queryCustomerEvents(stack.tableName, 'retry-1', { from: new Date(Date.now() - 3600_000).toISOString() });
    expect(event?.eventId).toBe('seg:retry-a');
    expect(Date.parse(event!.timestamp)).toBeLessThan(Date.parse(happened) - 3600_000);
    expect(await queryCustomerEvents(stack.tableName, 'retry-1', { from: happened })).toEqual([]);
  });

  it('an event timed by its sender has no index copy; one without a time is one item across retries too', async () => {
    const stack = stackOf();
    const untimed = { type: 'track', userId: 'keys-1', event: 'Signed Up', messageId: 'keys-untimed' };
    await post(stack, '/v1/batch', { batch: [identify('keys-1', 'keys-timed', '2026-04-01T10:00:00Z', { plan: 'gold' }), untimed] });
    await stack.drain({ timeoutMs: 30_000 });
    await post(stack, '/v1/batch', { batch: [untimed] });
    await stack.drain({ timeoutMs: 30_000 });
    const stored = await items(stack.tableName, 'keys-1', 'E#');
    expect(stored.map((i) => [i['sk'], i['tsk'] === undefined])).toEqual([
      ['E#!seg:keys-untimed', false],
      ['E#2026-04-01T10:00:00.000Z#seg:keys-timed', true],
    ]);
    expect((await customerEventKeys(stack.tableName, 'keys-1')).map((k) => k.sk).sort()).toEqual(stored.map((i) => i['sk']).sort());
  });

  it('reads a time range across timed, skew-corrected and untimed events, in order, either way, with a limit', async () => {
    const stack = stackOf();
    const now = Date.now();
    const skewed = { type: 'page', userId: 'range-1', name: 'Skewed', messageId: 'range-s', timestamp: new Date(now - 86_400_000 * 400).toISOString() };
    await post(stack, '/v1/batch', {
      batch: [
        { type: 'page', userId: 'range-1', name: 'Early', messageId: 'range-e', timestamp: new Date(now - 3600_000).toISOString() },
        { type: 'page', userId: 'range-1', name: 'Untimed', messageId: 'range-u' },
        { type: 'page', userId: 'range-1', name: 'Late', messageId: 'range-l', timestamp: new Date(now + 3600_000).toISOString() },
      ],
    });
    // A device clock 400 days behind: corrected to about now - 30 s.
    await post(stack, '/v1/batch', { sentAt: new Date(now - 86_400_000 * 400 + 30_000).toISOString(), batch: [skewed] });
    await stack.drain({ timeoutMs: 30_000 });
    const names = async (range: Parameters<typeof queryCustomerEvents>[2]) =>
      (await queryCustomerEvents(stack.tableName, 'range-1', range)).map((e) => e.name);
    expect(await names({})).toEqual(['Early', 'Skewed', 'Untimed', 'Late']);
    expect(await names({ newestFirst: true })).toEqual(['Late', 'Untimed', 'Skewed', 'Early']);
    expect(await names({ newestFirst: true, limit: 2 })).toEqual(['Late', 'Untimed']);
    expect(await names({ limit: 2 })).toEqual(['Early', 'Skewed']);
    expect(await names({ from: new Date(now - 600_000).toISOString(), to: new Date(now + 600_000).toISOString() })).toEqual(['Skewed', 'Untimed']);
  });

  it('every identify writes one patch keyed by its event; a redelivery overwrites it', async () => {
    const stack = stackOf();
    await post(stack, '/v1/identify', identify('patch-1', 'p-1', '2026-04-01T10:00:00Z', { plan: 'gold', email: 'patch-1@example.com' }));
    await stack.drain({ timeoutMs: 30_000 });
    // Act: the same traits again (two later page loads, one of them delivered twice), then a change
    const repeat = identify('patch-1', 'p-2', '2026-04-02T10:00:00Z', { plan: 'gold', email: 'patch-1@example.com' });
    await post(stack, '/v1/batch', { batch: [repeat, identify('patch-1', 'p-3', '2026-04-03T10:00:00Z', { plan: 'gold' })] });
    await post(stack, '/v1/batch', { batch: [repeat] });
    await post(stack, '/v1/identify', identify('patch-1', 'p-4', '2026-04-04T10:00:00Z', { plan: 'silver' }));
    await stack.drain({ timeoutMs: 30_000 });
    // Assess: 4 events, 4 patches (none twice), the profile as merged in time order
    expect(await items(stack.tableName, 'patch-1', 'E#')).toHaveLength(4);
    expect((await items(stack.tableName, 'patch-1', 'P#')).map((i) => i['sk'])).toEqual(['P#seg:p-1', 'P#seg:p-2', 'P#seg:p-3', 'P#seg:p-4']);
    expect((await getProfile(stack.tableName, 'patch-1'))?.traits).toEqual({ plan: 'silver', email: 'patch-1@example.com' });
  });

  it('a repeat still wins over an older change that arrives after it', async () => {
    // gold at t1, gold again at t3, then silver at t2 arrives late: t3 is the latest, so gold.
    const stack = stackOf();
    for (const [id, at, plan] of [['late-1', '2026-04-01T00:00:00Z', 'gold'], ['late-3', '2026-04-03T00:00:00Z', 'gold'], ['late-2', '2026-04-02T00:00:00Z', 'silver']]) {
      await post(stack, '/v1/identify', identify('late-u', id!, at!, { plan }));
      await stack.drain({ timeoutMs: 30_000 });
    }
    expect((await getProfile(stack.tableName, 'late-u'))?.traits).toEqual({ plan: 'gold' });
    expect((await items(stack.tableName, 'late-u', 'P#')).map((i) => i['sk']).sort()).toEqual(['P#seg:late-1', 'P#seg:late-2', 'P#seg:late-3']);
  });

  it('a repeat still wins over an older change that an identity move brings in', async () => {
    // gold at t1 and again at t3 for the user; silver at t2 set while anonymous; then the
    // anonymous id is identified as the user: its t2 patch moves in, behind t3's.
    const stack = stackOf();
    await post(stack, '/v1/batch', { batch: [identify('move-u', 'move-1', '2026-04-01T00:00:00Z', { plan: 'gold' })] });
    await stack.drain({ timeoutMs: 30_000 });
    await post(stack, '/v1/batch', {
      batch: [
        identify('move-u', 'move-3', '2026-04-03T00:00:00Z', { plan: 'gold' }),
        { type: 'identify', anonymousId: 'move-a', messageId: 'move-2', timestamp: '2026-04-02T00:00:00Z', traits: { plan: 'silver' } },
      ],
    });
    await stack.drain({ timeoutMs: 30_000 });
    await post(stack, '/v1/batch', { batch: [{ type: 'identify', userId: 'move-u', anonymousId: 'move-a', messageId: 'move-4', timestamp: '2026-04-04T00:00:00Z' }] });
    await stack.drain({ timeoutMs: 30_000 });
    expect((await items(stack.tableName, 'move-u', 'P#')).map((i) => i['sk']).sort()).toEqual(['P#seg:move-1', 'P#seg:move-2', 'P#seg:move-3']);
    expect((await getProfile(stack.tableName, 'move-u'))?.traits).toEqual({ plan: 'gold' });
  });
});
