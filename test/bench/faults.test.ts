import { describe, expect, it } from 'vitest';
import { runFaults } from '../../scripts/bench/faults.js';
import { SCENARIOS } from '../../scripts/bench/faults/index.js';

/**
 * `npm run bench:faults` at a small volume: every scenario runs against the embedded stack and
 * reports nothing lost, duplicated or violated. (The figures at full volume are the benchmark's,
 * in the README; this keeps the scenarios themselves working.)
 */
describe('bench:faults at small volume', () => {
  it('runs every scenario with 0 lost, 0 duplicated, 0 violations', { timeout: 240_000 }, async () => {
    const results = await runFaults({ scale: 0.001, seed: 7, log: () => undefined });
    expect(results.map((r) => r.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const r of results) {
      expect(r.operations, r.name).toBeGreaterThan(0);
      expect({ name: r.name, lost: r.lost, duplicated: r.duplicated, violations: r.violations }).toEqual({ name: r.name, lost: 0, duplicated: 0, violations: 0 });
    }
    // The erasure scenario's log check saw the handlers' lines (one 'customer erased' per erased customer at least).
    const erasure = results.find((r) => r.name === 'erasure')!;
    expect(Number(erasure.notes?.['logLinesChecked'])).toBeGreaterThanOrEqual(erasure.operations);
  });
});
