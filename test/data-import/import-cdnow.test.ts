import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cdnowOrderEvents, loadCdnow } from '../../models/data/cdnow.js';
import type { ImportSummary } from '../../scripts/cli/import.js';
import { winback, winbackJson, type EventCounts } from '../helpers/cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'winback-import-cdnow-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('winback import cdnow (the real shared file)', () => {
  it('stores exactly the loader’s orders and customers', async () => {
    // Prepare: what the loader makes of the file
    const orders = cdnowOrderEvents(loadCdnow());
    const customers = new Set(orders.map((o) => o.customerId)).size;
    // Act
    const summary = await winbackJson<ImportSummary>('import', 'cdnow', '--data-dir', dataDir);
    const counts = await winbackJson<EventCounts>('events', 'count', '--data-dir', dataDir);
    // Assess
    expect(summary).toMatchObject({ dataset: 'cdnow', rows: 6919, orders: orders.length, accepted: orders.length, rejected: 0, skippedRows: 0, customers });
    expect(counts.byKind).toEqual({ order: orders.length });
    expect(counts.customers).toBe(customers);
    expect(customers).toBe(2357);
  });

  it('a second import converges to the same records (idempotent order ids)', async () => {
    const again = await winbackJson<ImportSummary>('import', 'cdnow', '--data-dir', dataDir);
    const counts = await winbackJson<EventCounts>('events', 'count', '--data-dir', dataDir);
    expect(again.accepted).toBe(6919);
    expect(counts.total).toBe(6919);
  });

  it('names a missing file and fails with exit code 1', async () => {
    const r = await winback('import', 'cdnow', join(dataDir, 'nope.txt'), '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.txt');
  });
});
