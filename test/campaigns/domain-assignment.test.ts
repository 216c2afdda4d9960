import { describe, expect, it } from 'vitest';
import { assignGroup } from '../../functions/campaigns/assignment.js';

const ids = Array.from({ length: 10_000 }, (_, i) => `cust-${i}`);
const variants = [
  { id: 'A', weight: 1 },
  { id: 'B', weight: 1 },
];

describe('holdout and variant assignment', () => {
  it('holds out the configured share within 2 points over 10,000 customers', () => {
    for (const share of [0.05, 0.1, 0.2, 0.5]) {
      const held = ids.filter((id) => assignGroup('high-value-winback', id, share, variants).group === 'holdout').length;
      expect(Math.abs(held / ids.length - share), `share ${share}`).toBeLessThan(0.02);
    }
    expect(ids.every((id) => assignGroup('c', id, 0, variants).group === 'treatment')).toBe(true);
  });

  it('splits variants by weight', () => {
    const weighted = [
      { id: 'A', weight: 3 },
      { id: 'B', weight: 1 },
    ];
    const a = ids.filter((id) => assignGroup('c1', id, 0.1, weighted).variant === 'A').length / ids.length;
    expect(Math.abs(a - 0.75)).toBeLessThan(0.02);
  });

  it('is sticky: the same customer gets the same group and variant on every call', () => {
    const first = ids.slice(0, 500).map((id) => assignGroup('c2', id, 0.2, variants));
    const again = ids.slice(0, 500).map((id) => assignGroup('c2', id, 0.2, variants));
    expect(again).toEqual(first);
  });

  it('is independent across campaigns and between holdout and variant', () => {
    const inA = new Set(ids.filter((id) => assignGroup('campaign-a', id, 0.1, variants).group === 'holdout'));
    const inBoth = ids.filter((id) => inA.has(id) && assignGroup('campaign-b', id, 0.1, variants).group === 'holdout').length;
    // independent: about 1% of customers are held out of both, not 10%
    expect(inBoth / ids.length).toBeLessThan(0.02);
    const holdoutB = ids.filter((id) => {
      const a = assignGroup('campaign-a', id, 0.1, variants);
      return a.group === 'holdout' && a.variant === 'B';
    }).length;
    expect(Math.abs(holdoutB / inA.size - 0.5)).toBeLessThan(0.08);
  });

  it('raising the share only moves customers into the holdout', () => {
    const at10 = ids.map((id) => assignGroup('c3', id, 0.1, variants).group);
    const at20 = ids.map((id) => assignGroup('c3', id, 0.2, variants).group);
    expect(at10.every((g, i) => g === 'treatment' || at20[i] === 'holdout')).toBe(true);
  });

  it('rejects shares outside [0, 1) and empty or zero-weight variants', () => {
    expect(() => assignGroup('c', 'x', 1, variants)).toThrow(/holdout share/);
    expect(() => assignGroup('c', 'x', 0.1, [])).toThrow(/variant/);
    expect(() => assignGroup('c', 'x', 0.1, [{ id: 'A', weight: 0 }])).toThrow(/weights/);
  });
});
