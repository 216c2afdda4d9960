import { describe, expect, it } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';

const stackOf = useLocalStack();

/**
 * Real SQS accepts every character above U+FFFF; the local queue (fauxqs) did not, so an emoji in
 * a user id or a name got a 503 locally and Segment clients retried it forever.
 */
describe('characters beyond the Basic Multilingual Plane, through the local stack', () => {
  it('accepts and stores emoji in ids, traits and properties exactly as sent', async () => {
    // Prepare
    const stack = stackOf();
    const identify = {
      userId: 'a😀',
      messageId: 'uni-identify-1',
      timestamp: '2026-04-01T00:00:00Z',
      traits: { firstName: 'Zoë 👋', email: 'zoe@example.com', note: '𝄞 music, 🇫🇷 flag, \uE000 private use' },
    };
    const track = {
      userId: 'a😀',
      event: 'Product Viewed 🛍️',
      messageId: 'uni-track-1',
      timestamp: '2026-04-01T00:01:00Z',
      properties: { sku: 'SKU-🦄', price: 25 },
    };
    // Act
    const identified = await post(stack, '/v1/identify', identify);
    const tracked = await post(stack, '/v1/batch', { batch: [{ type: 'track', ...track }] });
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect(identified.status).toBe(200);
    expect(tracked.status).toBe(200);
    const events = await queryCustomerEvents(stack.tableName, 'a😀');
    expect(events.map((e) => e.eventId).sort()).toEqual(['seg:uni-identify-1', 'seg:uni-track-1']);
    const viewed = events.find((e) => e.eventId === 'seg:uni-track-1')!;
    expect(viewed.name).toBe('Product Viewed 🛍️');
    expect(viewed.properties).toEqual({ sku: 'SKU-🦄', price: 25 });
    const profile = await getProfile(stack.tableName, 'a😀');
    expect(profile?.traits).toMatchObject(identify.traits);
  });
});
