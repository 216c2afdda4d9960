import { lineChart } from '../plots/svg.js';
import type { EvaluatedModel } from './evaluate.js';

/**
 * The Qini and uplift curves of each evaluated model as SVG files (name -> text): the model's
 * curve, the random-targeting line (the straight line to the curve's end: what sending to a
 * random share of customers gains on average) and, for Qini, the perfect curve the
 * coefficient is normalised by.
 */
export function upliftPlots(models: readonly EvaluatedModel[], title: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of models) {
    const pts = (c: ReadonlyArray<{ n: number; value: number }>): Array<[number, number]> => c.map((p) => [p.n, p.value]);
    const random = (c: ReadonlyArray<{ n: number; value: number }>): Array<[number, number]> => {
      const last = c[c.length - 1]!;
      return [[0, 0], [last.n, last.value]];
    };
    files[`qini-${m.kind}.svg`] = lineChart({
      title: `${title}: Qini curve, ${m.kind} (Qini ${m.holdout.qini.toFixed(3)})`,
      xLabel: 'customers targeted (holdout, ranked by predicted uplift)',
      yLabel: 'incremental responders',
      series: [
        { name: m.kind, points: pts(m.curves.qini), color: '#1f77b4' },
        { name: 'perfect', points: pts(m.curves.perfectQini), color: '#2ca02c', dashed: true },
        { name: 'random', points: random(m.curves.qini), color: '#7f7f7f', dashed: true },
      ],
    });
    files[`uplift-${m.kind}.svg`] = lineChart({
      title: `${title}: uplift curve, ${m.kind} (AUUC ${m.holdout.upliftAuc.toFixed(3)})`,
      xLabel: 'customers targeted (holdout, ranked by predicted uplift)',
      yLabel: 'uplift x customers targeted',
      series: [
        { name: m.kind, points: pts(m.curves.uplift), color: '#d62728' },
        { name: 'random', points: random(m.curves.uplift), color: '#7f7f7f', dashed: true },
      ],
    });
  }
  return files;
}
