import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimulateSummary } from '../../scripts/cli/simulate.js';
import type { IngestSummary } from '../../scripts/cli/ingest.js';
import { withStack } from '../../scripts/local/stack.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';
import { simulateCustomers } from '../../scripts/simulate/population.js';
import { storedEventsOf } from '../../scripts/simulate/stored.js';
import { winbackJson, type EventCounts } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'winback-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options = { customers: 25, days: 120, seed: 4, start: '2025-01-01' };
const args = ['--customers', '25', '--days', '120', '--seed', '4', '--start', '2025-01-01'];

describe('winback simulate through the ingest API of an embedded stack', () => {
  let sent: SimulateSummary;
  let stored: EventCounts;

  it('stores every generated event: the API refuses none and stitching loses none', async () => {
    // Act
    sent = await winbackJson<SimulateSummary>('simulate', ...args, '--data-dir', join(dir, 'api'));
    stored = await winbackJson<EventCounts>('events', 'count', '--data-dir', join(dir, 'api'));
    // Assess
    expect(sent.rejected).toBe(0);
    expect(sent.accepted).toBe(sent.events.total);
    expect(stored.total).toBe(sent.events.total);
    expect(stored.byKind).toEqual(sent.events.byKind);
    // Anonymous browsing was moved to its customer: no anon:* customers remain.
    expect(stored.customers).toBe(25);
  });

  it('the store holds exactly what storedEventsOf computes in process, profile traits included', async () => {
    const customers = [...simulateCustomers(options)].slice(0, 6);
    const fromStore = await withStack(join(dir, 'api'), async (stack) =>
      Promise.all(
        customers.map(async (c) => ({
          events: await queryCustomerEvents(stack.tableName, c.truth.customerId),
          profile: await getProfile(stack.tableName, c.truth.customerId),
        })),
      ),
    );
    customers.forEach((c, i) => {
      const expected = storedEventsOf(c);
      const actual = fromStore[i]!;
      expect(actual.events.map((e) => e.eventId).sort()).toEqual(expected.map((e) => e.eventId).sort());
      expect(new Set(actual.events.map((e) => e.customerId))).toEqual(new Set([c.truth.customerId]));
      expect(actual.profile?.traits['email']).toBe(`${c.truth.customerId}@example.test`);
      expect(actual.profile?.consent['marketing']?.granted).toBe(c.truth.marketingConsent);
    });
  });

  it('--out writes JSONL that `winback ingest` loads to the same store contents', async () => {
    const file = join(dir, 'sim.jsonl');
    const written = await winbackJson<SimulateSummary>('simulate', ...args, '--out', file, '--data-dir', join(dir, 'unused'));
    const ingested = await winbackJson<IngestSummary>('ingest', file, '--data-dir', join(dir, 'file'));
    const counts = await winbackJson<EventCounts>('events', 'count', '--data-dir', join(dir, 'file'));
    expect(written.events).toEqual(sent.events);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(sent.events.total);
    expect(ingested).toMatchObject({ accepted: sent.events.total, rejected: 0 });
    expect(counts).toEqual(stored);
  });
});
