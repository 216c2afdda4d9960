import { describe, expect, it } from 'vitest';
import { computeFeatures } from '../../models/features.js';
import {
  buildTrainingSet,
  churnLabel,
  LabelLeakageError,
  propensityLabel,
  rollingCutoffs,
} from '../../models/labels.js';
import { order, page, simulatePopulation } from './model-fixtures.js';

const C = new Date('2021-04-01T00:00:00Z');

describe('labels', () => {
  it('churn = no placed order in [cutoff, cutoff + H); propensity = a placed order in 30 days', () => {
    // Prepare
    const atCutoff = [order('a', 'o1', '2021-01-01T00:00:00Z', 10), order('a', 'o2', '2021-04-01T00:00:00Z', 10)];
    const justAfterHorizon = [order('b', 'o1', '2021-01-01T00:00:00Z', 10), order('b', 'o2', '2021-06-30T00:00:00Z', 10)];
    const cancelledOnly = [
      order('c', 'o1', '2021-01-01T00:00:00Z', 10),
      order('c', 'o1', '2021-04-10T00:00:00Z', 10, { status: 'cancelled' }),
    ];
    const in40Days = [order('d', 'o1', '2021-01-01T00:00:00Z', 10), order('d', 'o2', '2021-05-11T00:00:00Z', 10)];

    // Act / Assess: 2021-04-01 + 90 days = 2021-06-30, exclusive.
    expect(churnLabel(atCutoff, C, 90)).toBe(0);
    expect(churnLabel(justAfterHorizon, C, 90)).toBe(1);
    expect(churnLabel(justAfterHorizon, C, 91)).toBe(0);
    expect(churnLabel(cancelledOnly, C, 90)).toBe(1);
    expect(churnLabel(in40Days, C)).toBe(0);
    expect(propensityLabel(atCutoff, C)).toBe(1);
    expect(propensityLabel(in40Days, C)).toBe(0);
    expect(propensityLabel(in40Days, C, 45)).toBe(1);
  });

  it('builds rows only for customers with an order before each cutoff, sorted and labelled', () => {
    // Prepare
    const events = new Map([
      ['z-late', [order('z-late', 'o1', '2021-02-15T00:00:00Z', 10)]],
      ['a-early', [order('a-early', 'o1', '2021-01-15T00:00:00Z', 10), order('a-early', 'o2', '2021-03-20T00:00:00Z', 10)]],
      ['visitor', [page('visitor', '2021-01-01T00:00:00Z')]],
    ]);
    const cutoffs = [new Date('2021-03-01T00:00:00Z'), new Date('2021-02-01T00:00:00Z')];

    // Act
    const rows = buildTrainingSet(events, cutoffs, 30, { target: 'churn' });

    // Assess
    expect(rows.map((r) => [r.cutoff.slice(0, 10), r.customerId, r.label])).toEqual([
      ['2021-02-01', 'a-early', 1],
      ['2021-03-01', 'a-early', 0],
      ['2021-03-01', 'z-late', 1],
    ]);
  });

  it('refuses a training cutoff whose label window ends after the evaluation cutoff', () => {
    const events = new Map([['a', [order('a', 'o1', '2021-01-01T00:00:00Z', 10)]]]);
    const evalCutoff = new Date('2021-06-01T00:00:00Z');
    expect(() => buildTrainingSet(events, [new Date('2021-03-03T00:00:00Z')], 90, { evalCutoff })).not.toThrow();
    expect(() => buildTrainingSet(events, [new Date('2021-03-04T00:00:00Z')], 90, { evalCutoff })).toThrow(LabelLeakageError);
  });

  it('rolling cutoffs end exactly one horizon before the evaluation cutoff and respect the history floor', () => {
    const cutoffs = rollingCutoffs({
      evalCutoff: new Date('2021-12-01T00:00:00Z'),
      horizonDays: 90,
      dataStart: new Date('2021-01-01T00:00:00Z'),
      count: 10,
      stepDays: 60,
      minHistoryDays: 30,
    });
    expect(cutoffs.map((c) => c.toISOString().slice(0, 10))).toEqual(['2021-03-06', '2021-05-05', '2021-07-04', '2021-09-02']);
  });

  it('no event at or after a cutoff changes the features of its rows (no leakage)', () => {
    // Prepare: a population with orders, web and email events on both sides of every cutoff.
    const full = simulatePopulation({ customers: 60, days: 400, seed: 3 });
    const cutoffs = [new Date('2020-06-01T00:00:00Z'), new Date('2020-09-01T00:00:00Z')];

    // Act
    const rows = buildTrainingSet(full, cutoffs, 90);

    // Assess: recompute each row from the events strictly before its cutoff only.
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) {
      const cut = Date.parse(row.cutoff);
      const past = (full.get(row.customerId) ?? []).filter((e) => Date.parse(e.timestamp) < cut);
      const future = (full.get(row.customerId) ?? []).filter((e) => Date.parse(e.timestamp) >= cut);
      expect(future.length + past.length).toBe(full.get(row.customerId)?.length);
      expect(row.features).toEqual(computeFeatures(past, new Date(cut)));
    }
    // And at least some rows did have future events that were ignored.
    expect(rows.some((r) => (full.get(r.customerId) ?? []).some((e) => Date.parse(e.timestamp) >= Date.parse(r.cutoff)))).toBe(true);
  });
});
