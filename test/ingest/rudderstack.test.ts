import Analytics from '@rudderstack/rudder-sdk-node';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../helpers/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';

/** RudderStack's Node SDK copies Segment's wire format: gzipped JSON batches to /v1/batch. */
const stackOf = useLocalStack();

describe("RudderStack's Node SDK (@rudderstack/rudder-sdk-node), unmodified", () => {
  it('sends every type to /v1/batch and each event is stored once, under the right customer', async () => {
    // Prepare
    const stack = stackOf();
    const errors: unknown[] = [];
    const client = new Analytics(stack.writeKey, {
      dataPlaneUrl: stack.apiUrl,
      flushAt: 100,
      flushInterval: 100,
      logLevel: 'error',
      errorHandler: (e) => errors.push(e),
    });
    const at = (minute: number): Date => new Date(Date.UTC(2026, 4, 1, 9, minute));
    // Act
    client.page({ anonymousId: 'rs-anon', name: 'Home', timestamp: at(0) });
    client.identify({ userId: 'rs-legacy', traits: { email: 'rudy@example.com', plan: 'silver' }, timestamp: at(1) });
    client.identify({ userId: 'rs-1', anonymousId: 'rs-anon', traits: { firstName: 'Rudy' }, timestamp: at(2) });
    for (let i = 0; i < 3; i++) client.track({ userId: 'rs-1', event: 'Product Viewed', properties: { sku: `R${i}` }, timestamp: at(3 + i) });
    client.screen({ userId: 'rs-1', name: 'Basket', timestamp: at(6) });
    client.group({ userId: 'rs-1', groupId: 'rs-co', traits: { name: 'Rudy & Co' }, timestamp: at(7) });
    client.alias({ userId: 'rs-1', previousId: 'rs-legacy', timestamp: at(8) });
    await client.flush();
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect(errors).toEqual([]);
    const events = await queryCustomerEvents(stack.tableName, 'rs-1');
    expect(events.map((e) => `${e.kind}:${e.name}`)).toEqual([
      'page:Home',
      'identify:identify',
      'identify:identify',
      'track:Product Viewed',
      'track:Product Viewed',
      'track:Product Viewed',
      'page:Basket',
      'group:group',
      'alias:alias',
    ]);
    // The SDK sends `timestamp` and `originalTimestamp` both: the given time is kept exactly.
    expect(events[0]?.timestamp).toBe(at(0).toISOString());
    expect(new Set(events.map((e) => e.eventId)).size).toBe(9);
    expect(await getProfile(stack.tableName, 'rs-1')).toMatchObject({
      email: 'rudy@example.com',
      traits: { plan: 'silver', firstName: 'Rudy' },
      groups: { 'rs-co': { name: 'Rudy & Co' } },
    });
    expect(await queryCustomerEvents(stack.tableName, 'rs-legacy')).toEqual([]);
  });
});
