import { describe, expect, it } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { findUnstorable, MAX_NESTING_DEPTH } from '../../functions/events/validation.js';

/**
 * Values DynamoDB cannot hold (or that should never reach a store) are refused at the edge, per
 * message: answered 200 and then failing in the processor used to send the whole request, valid
 * neighbours included, to the dead-letter queue.
 */
const stackOf = useLocalStack();
const track = (over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Product Viewed',
  userId: 'poison-user',
  messageId: `m-${Math.random().toString(16).slice(2)}`,
  timestamp: '2026-03-01T00:00:00Z',
  ...over,
});
const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('values the store cannot hold are refused at the edge, naming the field', () => {
  it('finds out-of-range numbers, reserved keys, deep nesting and control characters in emails', () => {
    expect(findUnstorable({ properties: { price: 1e308 } })?.field).toBe('properties.price');
    expect(findUnstorable({ properties: { price: -1e-200 } })?.field).toBe('properties.price');
    expect(findUnstorable({ properties: { list: [1, 2, 1e126] } })?.field).toBe('properties.list[2]');
    expect(findUnstorable(JSON.parse('{"traits":{"__proto__":{"admin":true}}}'))?.field).toBe('traits.__proto__');
    expect(findUnstorable({ traits: { constructor: 'x' } })?.field).toBe('traits.constructor');
    expect(findUnstorable({ traits: { email: 'a@example.com\r\nBcc: b@example.com' } })?.field).toBe('traits.email');
    expect(findUnstorable(JSON.parse(deep(MAX_NESTING_DEPTH + 1)))?.reason).toMatch(/nested deeper than 32 levels/);
    expect(findUnstorable(JSON.parse(deep(100_000)))).toBeDefined();
    // What real payloads hold is fine: zero, small and large in-range numbers, 31 levels.
    expect(findUnstorable({ a: 0, b: 1e-130, c: -9.99e125, d: 'x\ny', email: 'a@example.com', e: JSON.parse(deep(MAX_NESTING_DEPTH - 1)) })).toBeUndefined();
  });

  it('a batch drops only its poison messages (index, field, reason) and stores the valid neighbour', async () => {
    const stack = stackOf();
    const raw = `{"batch":[${JSON.stringify(track({ userId: 'poison-neighbour' }))},${JSON.stringify(track({ properties: { price: 1e308 } }))},` +
      `${JSON.stringify(track({ properties: { price: 1e-200 } }))},` +
      `{"type":"identify","userId":"poison-user","messageId":"m-proto","traits":{"__proto__":{"isAdmin":true}}},` +
      `{"type":"track","event":"Deep","userId":"poison-user","messageId":"m-deep","properties":${deep(10_000)}},` +
      `{"type":"identify","userId":"poison-user","messageId":"m-crlf","traits":{"email":"a@example.com\\r\\nBcc: b@example.com"}}]}`;
    const res = await post(stack, '/v1/batch', undefined, { raw });
    expect(res.status).toBe(200);
    const dropped = res.body['dropped'] as Array<{ index: number; field: string; reason: string }>;
    expect(dropped.map((d) => [d.index, d.field])).toEqual([
      [1, 'batch[1].properties.price'],
      [2, 'batch[2].properties.price'],
      [3, 'batch[3].traits.__proto__'],
      [4, expect.stringMatching(/^batch\[4\]\.properties(\.a)+$/)],
      [5, 'batch[5].traits.email'],
    ]);
    await stack.drain({ timeoutMs: 30_000 });
    expect(await queryCustomerEvents(stack.tableName, 'poison-neighbour')).toHaveLength(1);
    expect(await queryCustomerEvents(stack.tableName, 'poison-user')).toHaveLength(0);
  });

  it('single-event routes and orders answer 400 naming the field (not 200, not a 500 RangeError)', async () => {
    const stack = stackOf();
    const cases: Array<[string, string, string]> = [
      ['/v1/track', JSON.stringify(track({ properties: { price: 1e308 } })), 'properties.price'],
      ['/v1/identify', '{"userId":"poison-user","traits":{"__proto__":{"x":1}}}', 'traits.__proto__'],
      ['/v1/identify', JSON.stringify({ userId: 'poison-user', traits: { email: 'a@example.com\nX: y' } }), 'traits.email'],
      ['/v1/track', `{"event":"Deep","userId":"poison-user","properties":${deep(10_000)}}`, ''],
      [
        '/v1/orders',
        JSON.stringify({ orderId: 'o-poison', status: 'placed', customerId: 'poison-user', currency: 'GBP', total: 1e308, timestamp: '2026-03-01T00:00:00Z' }),
        'total',
      ],
    ];
    for (const [route, raw, field] of cases) {
      const res = await post(stack, route, undefined, { raw });
      expect(res.status, route).toBe(400);
      if (field) expect(res.body['field'], route).toBe(field);
      else expect(res.body['message']).toMatch(/nested deeper than 32 levels/);
    }
    await stack.drain({ timeoutMs: 30_000 });
    expect(await queryCustomerEvents(stack.tableName, 'poison-user')).toHaveLength(0);
  });
});
