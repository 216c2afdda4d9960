import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';

const stackOf = useLocalStack();
const track = (over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Product Viewed',
  userId: 'err-user',
  messageId: `m-${Math.random().toString(16).slice(2)}`,
  timestamp: '2026-03-01T00:00:00Z',
  ...over,
});

describe('bad input gets a precise 4xx and nothing is written', () => {
  it('malformed JSON -> 400 naming the problem', async () => {
    const res = await post(stackOf(), '/v1/batch', undefined, { raw: '{"batch": [' });
    expect(res.status).toBe(400);
    expect(res.body['message']).toMatch(/^malformed JSON/);
  });

  it('a missing field -> 400 naming the field path when no message of the batch is valid', async () => {
    const { event: _e, ...noEvent } = track();
    const res = await post(stackOf(), '/v1/batch', { batch: [noEvent] });
    expect(res.status).toBe(400);
    expect(res.body['field']).toBe('batch[0].event');
    expect(res.body['message']).toMatch(/^every message of the batch is invalid; batch\[0\]\.event/);
  });

  it('a missing field next to valid messages -> 200 naming the dropped message; its neighbours are kept', async () => {
    const { event: _e, ...noEvent } = track();
    const res = await post(stackOf(), '/v1/batch', { batch: [track({ userId: 'kept-neighbour' }), noEvent] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      dropped: [{ index: 1, messageId: noEvent.messageId, field: 'batch[1].event', reason: expect.stringMatching(/^batch\[1\]\.event: /) }],
    });
  });

  it('a wrong type -> 400 naming the field path', async () => {
    const res = await post(stackOf(), '/v1/track', track({ properties: 'not-an-object' }));
    expect(res.status).toBe(400);
    expect(res.body['field']).toBe('properties');
    const order = await post(stackOf(), '/v1/orders', {
      orderId: 'o1', status: 'placed', customerId: 'c1', currency: 'GBP', total: '12.50', timestamp: '2026-03-01T00:00:00Z',
    });
    expect(order.status).toBe(400);
    expect(order.body['field']).toBe('total');
  });

  it('an unknown event type -> 400 naming the type', async () => {
    const res = await post(stackOf(), '/v1/batch', { batch: [track({ type: 'survey', groupId: 'g' })] });
    expect(res.status).toBe(400);
    expect(res.body['message']).toContain('"survey"');
  });

  it('an oversize body -> 413 with the limit, also when gzipped', async () => {
    const big = { batch: Array.from({ length: 400 }, (_, i) => track({ properties: { blob: `${i}`.padEnd(1500, 'x') } })) };
    const res = await post(stackOf(), '/v1/batch', big);
    expect(res.status).toBe(413);
    expect(res.body['message']).toMatch(/limit is 512000 bytes/);
    const zipped = await post(stackOf(), '/v1/batch', undefined, { raw: gzipSync(JSON.stringify(big)), headers: { 'content-encoding': 'gzip' } });
    expect(zipped.status).toBe(413);
  });

  it('an event over 32 KB inside a small batch is dropped and named; its neighbour is kept', async () => {
    const res = await post(stackOf(), '/v1/batch', { batch: [track({ userId: 'kept-neighbour' }), track({ properties: { blob: 'y'.repeat(40_000) } })] });
    expect(res.status).toBe(200);
    expect(res.body['dropped']).toEqual([expect.objectContaining({ index: 1, reason: expect.stringMatching(/^batch\[1\] is \d+ bytes; the limit is 32768 bytes$/) })]);
    const single = await post(stackOf(), '/v1/track', track({ properties: { blob: 'y'.repeat(40_000) } }));
    expect(single.status).toBe(413);
  });

  it('an unknown route -> 404, a wrong method -> 405', async () => {
    const res = await post(stackOf(), '/v1/nope', track());
    expect(res.status).toBe(404);
    const get = await fetch(`${stackOf().apiUrl}/v1/batch`);
    expect(get.status).toBe(405);
  });

  it('a wrong or missing write key -> 401', async () => {
    expect((await post(stackOf(), '/v1/track', track(), { key: 'wk_wrong_key_123' })).status).toBe(401);
    const missing = await post(stackOf(), '/v1/track', track(), { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body['message']).toMatch(/missing write key/);
  });

  it('after all that, the server still ingests, and none of the rejected events were stored', async () => {
    const stack = stackOf();
    const good = await post(stack, '/v1/track', track({ userId: 'after-errors' }));
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ success: true });
    await stack.drain({ timeoutMs: 30_000 });
    expect(await queryCustomerEvents(stack.tableName, 'after-errors')).toHaveLength(1);
    expect(await queryCustomerEvents(stack.tableName, 'err-user')).toHaveLength(0);
    expect(await queryCustomerEvents(stack.tableName, 'kept-neighbour')).toHaveLength(2);
    expect((await countEvents(stack.tableName)).total).toBe(3);
  });
});
