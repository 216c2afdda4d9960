import { Analytics } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { winbackProcess } from '../helpers/cli.js';
import { useLocalStack } from '../helpers/stack.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';

const stackOf = useLocalStack();

describe('the unmodified @segment/analytics-node client', () => {
  it('stores 1,000 track and identify events for 100 users exactly once, 100 of them sent twice', async () => {
    // Prepare
    const stack = stackOf();
    const analytics = new Analytics({ writeKey: stack.writeKey, host: stack.apiUrl, flushAt: 50, flushInterval: 200, maxRetries: 3 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    const start = Date.parse('2026-03-01T00:00:00Z');
    const sent: Array<{ userId: string; messageId: string; at: Date }> = [];
    // Act: 100 users x (1 identify + 9 tracks) = 1,000 distinct events, timestamps shuffled per user
    for (let u = 0; u < 100; u++) {
      const userId = `user-${u}`;
      for (let k = 0; k < 10; k++) {
        const at = new Date(start + u * 60_000 + ((k * 7) % 10) * 1000);
        const messageId = `msg-${u}-${k}`;
        if (k === 0) analytics.identify({ userId, messageId, timestamp: at, traits: { email: `user${u}@example.com`, firstName: `U${u}` } });
        else analytics.track({ userId, messageId, timestamp: at, event: k % 2 ? 'Product Viewed' : 'Product Added', properties: { k } });
        sent.push({ userId, messageId, at });
      }
    }
    // 100 redeliveries with the same messageIds (a retrying producer)
    for (let u = 0; u < 100; u++) {
      const original = sent[u * 10 + 3]!;
      analytics.track({ userId: original.userId, messageId: original.messageId, timestamp: original.at, event: 'Product Viewed', properties: { k: 3 } });
    }
    await analytics.closeAndFlush({ timeout: 30_000 });
    await stack.drain({ timeoutMs: 60_000 });
    // Assess
    expect(errors).toEqual([]);
    const counts = await countEvents(stack.tableName);
    expect(counts.total).toBe(1000);
    expect(counts.byKind).toEqual({ identify: 100, track: 900 });
    const events = await queryCustomerEvents(stack.tableName, 'user-42');
    expect(events).toHaveLength(10);
    const times = events.map((e) => e.timestamp);
    expect(times).toEqual([...times].sort());
    expect(new Set(events.map((e) => e.eventId)).size).toBe(10);
    const profile = await getProfile(stack.tableName, 'user-42');
    expect(profile?.email).toBe('user42@example.com');
    expect(profile?.traits['firstName']).toBe('U42');
  });

  it('`winback customers show <id> --json` (another process, attached to the running stack) lists them in time order', async () => {
    const stack = stackOf();
    const stdout = await winbackProcess(['customers', 'show', 'user-7', '--json', '--data-dir', stack.dataDir]);
    const shown = JSON.parse(stdout) as { events: Array<{ timestamp: string; eventId: string }>; suppressed: boolean; profile: { email: string } };
    expect(shown.events).toHaveLength(10);
    expect(shown.events.map((e) => e.timestamp)).toEqual(shown.events.map((e) => e.timestamp).sort());
    expect(shown.events.map((e) => e.eventId).sort()).toEqual(Array.from({ length: 10 }, (_, k) => `seg:msg-7-${k}`).sort());
    expect(shown.profile.email).toBe('user7@example.com');
    expect(shown.suppressed).toBe(false);
  });
});
