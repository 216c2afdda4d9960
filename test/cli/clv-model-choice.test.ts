import { beforeAll, describe, expect, it } from 'vitest';
import { pAlive } from '../../models/clv/bgnbd.js';
import { bgnbdModel, chooseClvModel, clvMatrices, holdoutError, paretoNbdModel } from '../../models/clv/model-choice.js';
import { paretoNbdPAlive } from '../../models/clv/pareto-nbd.js';
import { cdnowPurchases, cdnowRfm, loadCdnow, type CdnowTransaction } from '../../models/data/cdnow.js';
import { fitClvReport } from '../../scripts/cli/clv.js';
import { clvPlotFiles } from '../../scripts/cli/clv-plot.js';

describe('clv fit --model and clv plot on CDNOW (calibration to 1997-09-30, 39-week holdout)', () => {
  let tx: CdnowTransaction[];
  beforeAll(() => {
    tx = loadCdnow();
  });

  it('auto fits both models, forecasts the holdout with each and keeps the lower per-customer RMSE', () => {
    const report = fitClvReport(cdnowPurchases(tx), '1997-09-30', 'weeks', { model: 'auto', holdoutEnd: '1998-06-30' });
    const h = report.holdout!;
    expect(h.bgnbd).toMatchObject({ length: 39, customers: 2357 });
    expect(h.paretoNbd!.actual).toBe(h.bgnbd.actual);
    // Measured: BG/NBD forecasts 1,653.4, Pareto/NBD 1,665.5 of 1,882 holdout purchase days; RMSE 1.608 vs 1.603.
    const lower = h.paretoNbd!.rmse < h.bgnbd.rmse ? 'pareto-nbd' : 'bgnbd';
    expect(report.model.chosen).toBe(lower);
    expect(report.model.reason).toContain('holdout RMSE');
    expect(report.paretoNbd!.r).toBeCloseTo(0.5534, 2);
    expect(report.bgnbd.r).toBeCloseTo(0.243, 2);
    // The error is what its name says, recomputed by hand for the chosen model.
    const customers = cdnowRfm(tx);
    const again = holdoutError(paretoNbdModel({ ...report.paretoNbd!, customers: 2357 }), customers, 39);
    expect(again.rmse).toBeCloseTo(h.paretoNbd!.rmse, 10);
    expect(again.mae).toBeCloseTo(customers.reduce((s, c) => s + Math.abs(paretoNbdModel({ ...report.paretoNbd!, customers: 2357 }).expected(39, c) - c.holdout), 0) / 2357, 10);
  });

  it('without a holdout, auto falls back to the log-likelihood; --model forces a model; bgnbd alone skips Pareto/NBD', () => {
    const customers = cdnowRfm(tx).map((c) => ({ ...c, holdout: 0 }));
    const noHoldout = chooseClvModel(customers, 'auto', 0);
    // BG/NBD −9582.4 > Pareto/NBD −9595.0 on CDNOW.
    expect(noHoldout.chosen).toBe('bgnbd');
    expect(noHoldout.reason).toContain('log-likelihood');
    const forced = chooseClvModel(customers, 'bgnbd', 0);
    expect(forced).toMatchObject({ chosen: 'bgnbd', reason: '--model bgnbd' });
    expect(forced.paretoNbd).toBeUndefined();
  });

  it('the matrices hold each model\'s expectation and P(alive) cell by cell, and the plots are SVG heatmaps', () => {
    const fit = { paretoNbd: { fit: { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562, logLikelihood: -9595, converged: true, customers: 2357, warnings: [] } }, bgnbd: { fit: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 } } };
    const pn = paretoNbdModel(fit.paretoNbd.fit);
    const { expected, alive } = clvMatrices(pn, { maxFrequency: 10, T: 38 });
    expect(alive.values).toHaveLength(11);
    expect(alive.recencies[0]).toBe(0);
    expect(alive.recencies.at(-1)).toBe(38);
    expect(alive.values[5]![20]).toBe(paretoNbdPAlive(fit.paretoNbd.fit, { x: 5, t_x: alive.recencies[20]!, T: 38 }));
    // More recent last purchase, for the same frequency: more likely alive, more purchases expected.
    for (const row of [alive.values[5]!, expected.values[5]!]) expect(row.at(-1)!).toBeGreaterThan(row[0]!);
    const bg = clvMatrices(bgnbdModel({ ...fit.bgnbd.fit, logLikelihood: -9582.4, penalty: 0, converged: true, degenerate: false, warnings: [], customers: 2357 }), { maxFrequency: 3, T: 38 });
    expect(bg.alive.values[0]!.every((v) => v === 1)).toBe(true); // BG/NBD: no repeat purchase, no chance to die
    expect(bg.alive.values[3]![10]).toBe(pAlive(fit.bgnbd.fit, { x: 3, t_x: bg.alive.recencies[10]!, T: 38 }));

    const files = clvPlotFiles(cdnowPurchases(tx), '1997-09-30', 'weeks', 'both');
    expect(Object.keys(files).sort()).toEqual(['frequency-recency-bgnbd.svg', 'frequency-recency-pareto-nbd.svg', 'p-alive-bgnbd.svg', 'p-alive-pareto-nbd.svg']);
    const svg = files['p-alive-pareto-nbd.svg']!;
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // max x in calibration is 29 -> 30 rows; T = 38.86 -> 39 recency steps, 40 columns; 2 legend swatches.
    expect(svg.match(/<rect x=/g)!.length).toBe(30 * 40 + 2);
    expect(svg).toContain('probability alive');
  });
});
