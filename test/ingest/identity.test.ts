import { describe, expect, it } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';

const stackOf = useLocalStack();
const page = (anonymousId: string, i: number) => ({
  type: 'page',
  anonymousId,
  name: `Page ${i}`,
  messageId: `p-${anonymousId}-${i}`,
  timestamp: `2026-04-01T00:0${i}:00Z`,
});

describe('identity stitching', () => {
  it('an identify moves the anonymous history to the user', async () => {
    const stack = stackOf();
    expect((await post(stack, '/v1/batch', { batch: [page('a1', 1), page('a1', 2)] })).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    expect(await queryCustomerEvents(stack.tableName, 'anon:a1')).toHaveLength(2);

    await post(stack, '/v1/identify', { userId: 'u1', anonymousId: 'a1', messageId: 'i-u1', timestamp: '2026-04-01T00:05:00Z', traits: { firstName: 'Ada' } });
    await stack.drain({ timeoutMs: 30_000 });

    const events = await queryCustomerEvents(stack.tableName, 'u1');
    expect(events.map((e) => e.name)).toEqual(['Page 1', 'Page 2', 'identify']);
    expect(events.every((e) => e.customerId === 'u1')).toBe(true);
    expect(await queryCustomerEvents(stack.tableName, 'anon:a1')).toEqual([]);
  });

  it('anonymous events arriving after the identify go straight to the user (out-of-order delivery converges)', async () => {
    const stack = stackOf();
    await post(stack, '/v1/identify', { userId: 'u2', anonymousId: 'a2', messageId: 'i-u2', timestamp: '2026-04-01T00:09:00Z' });
    await stack.drain({ timeoutMs: 30_000 });
    await post(stack, '/v1/batch', { batch: [page('a2', 3), page('a2', 1)] });
    await stack.drain({ timeoutMs: 30_000 });
    const events = await queryCustomerEvents(stack.tableName, 'u2');
    expect(events.map((e) => e.name)).toEqual(['Page 1', 'Page 3', 'identify']);
    expect(await queryCustomerEvents(stack.tableName, 'anon:a2')).toEqual([]);
  });

  it('identify and anonymous events in one batch, in any order, end in the same state', async () => {
    const stack = stackOf();
    const identify = { type: 'identify', userId: 'u3', anonymousId: 'a3', messageId: 'i-u3', timestamp: '2026-04-01T00:00:30Z' };
    await post(stack, '/v1/batch', { batch: [page('a3', 2), identify, page('a3', 1)] });
    // and the same messages again, reordered, as a retrying client would
    await post(stack, '/v1/batch', { batch: [identify, page('a3', 1), page('a3', 2)] });
    await stack.drain({ timeoutMs: 30_000 });
    const events = await queryCustomerEvents(stack.tableName, 'u3');
    expect(events.map((e) => e.eventId)).toEqual(['seg:i-u3', 'seg:p-a3-1', 'seg:p-a3-2']);
    expect(await queryCustomerEvents(stack.tableName, 'anon:a3')).toEqual([]);
  });

  it('queries a customer by time range, newest first on request', async () => {
    const stack = stackOf();
    const events = await queryCustomerEvents(stack.tableName, 'u1', { from: '2026-04-01T00:02:00Z', to: '2026-04-01T00:05:00Z' });
    expect(events.map((e) => e.name)).toEqual(['Page 2']);
    const newest = await queryCustomerEvents(stack.tableName, 'u1', { newestFirst: true, limit: 1 });
    expect(newest.map((e) => e.name)).toEqual(['identify']);
  });
});
