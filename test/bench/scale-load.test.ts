import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEventsByCustomer } from '../../functions/jobs/customer-events.js';
import { customerIdPages } from '../../functions/store/customer-ranges.js';
import { CUSTOMER_SHARDS } from '../../functions/store/keys.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { bulkLoad, keepsEvent } from '../../scripts/bench/scale-load.js';
import { startJobStack, type JobStack } from '../../scripts/local/job-stack.js';
import { simulateCustomers } from '../../scripts/simulate/population.js';

/**
 * The scale benchmark's bulk loader (scripts/bench/scale-load.ts) against a real dynalite: about
 * 20 events a customer, every customer in the registry, every order kept, and newsletter messages
 * kept whole (an open or click never without its send).
 */
const OPTIONS = { customers: 60, days: 365, seed: 11, start: '2025-01-01' } as const;
let dataDir = '';
let stack: JobStack;
let loaded: { customers: number; events: number; items: number };
let stored: Map<string, StoredEvent[]>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'winback-scale-load-'));
  stack = await startJobStack(dataDir);
  loaded = await bulkLoad(stack.tableName, { ...OPTIONS, inFlight: 3 });
  const ids: string[] = [];
  for (let shard = 0; shard < CUSTOMER_SHARDS; shard++) for await (const page of customerIdPages(stack.tableName, shard)) ids.push(...page);
  stored = await loadEventsByCustomer(stack.tableName, ids);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('bench:scale bulk load', () => {
  it('registers every simulated customer and stores about 20 events each, as many as it reports', () => {
    expect(loaded.customers).toBe(OPTIONS.customers);
    expect(stored.size).toBe(OPTIONS.customers);
    const total = [...stored.values()].reduce((a, list) => a + list.length, 0);
    expect(total).toBe(loaded.events);
    expect(total / OPTIONS.customers).toBeGreaterThan(12);
    expect(total / OPTIONS.customers).toBeLessThan(30);
    // Registry items and profile patches on top of the events.
    expect(loaded.items).toBeGreaterThan(loaded.events + OPTIONS.customers);
  });

  it('keeps every order and thins browsing and newsletter events only', () => {
    const simulated = new Map<string, { orders: number; kept: number }>();
    for (const c of simulateCustomers(OPTIONS)) {
      simulated.set(c.truth.customerId, { orders: c.events.filter((e) => e.kind === 'order').length, kept: c.events.filter((e) => keepsEvent(e, 8)).length });
    }
    for (const [id, events] of stored) {
      expect(events.filter((e) => e.kind === 'order').length, id).toBe(simulated.get(id)!.orders);
    }
    const all = [...simulateCustomers(OPTIONS)].flatMap((c) => c.events);
    expect(all.filter((e) => keepsEvent(e, 1)).length).toBe(all.length);
    expect(all.filter((e) => keepsEvent(e, 8)).length).toBeLessThan(all.length / 3);
  });

  it('keeps a newsletter message whole: every open, click and delivery has its send', () => {
    let opens = 0;
    for (const events of stored.values()) {
      const emails = events.filter((e) => e.kind === 'email' && e.email);
      const sent = new Set(emails.filter((e) => e.email!.type === 'send').map((e) => e.email!.messageId));
      for (const e of emails) {
        if (e.email!.type === 'open' || e.email!.type === 'click' || e.email!.type === 'delivery') {
          expect(sent.has(e.email!.messageId), `${e.email!.type} ${e.email!.messageId}`).toBe(true);
          if (e.email!.type === 'open') opens++;
        }
      }
    }
    expect(opens).toBeGreaterThan(0);
  });
});
