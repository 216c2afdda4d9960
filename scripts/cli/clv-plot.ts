import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fitBgNbd } from '../../models/clv/bgnbd.js';
import { bgnbdModel, clvMatrices, paretoNbdModel, type ClvMatrix, type FittedClvModel } from '../../models/clv/model-choice.js';
import { fitParetoNbd } from '../../models/clv/pareto-nbd.js';
import { rfmSummary, type Purchase, type TimeUnit } from '../../models/data/rfm.js';
import { heatmap } from '../../models/plots/svg.js';
import { clvCutoffOption, clvUnitOption, storedPurchases } from './clv.js';
import { UsageError, type CliCommand } from './command.js';

/**
 * `winback clv plot --out DIR`: the frequency/recency matrix (expected purchases in the next
 * unit) and the P(alive) matrix of each fitted model, as SVG heatmaps, the classic diagnostics of
 * customer-base analysis (lifetimes' plot_frequency_recency_matrix / plot_probability_alive_matrix):
 * rows are repeat purchases x, columns recency t_x, for a customer observed the longest T.
 */
const MAX_FREQUENCY = 60;

export function clvPlotFiles(purchases: readonly Purchase[], cutoff: string, unit: TimeUnit, which: 'bgnbd' | 'pareto-nbd' | 'both'): Record<string, string> {
  const summaries = rfmSummary(purchases, { calibrationEnd: cutoff, unit });
  if (summaries.length < 2) throw new UsageError(`need at least 2 customers with an order on or before ${cutoff}, found ${summaries.length}`);
  const maxX = Math.min(MAX_FREQUENCY, Math.max(1, ...summaries.map((s) => s.x)));
  const maxT = Math.max(...summaries.map((s) => s.T));
  const models: Array<[string, FittedClvModel]> = [];
  if (which !== 'pareto-nbd') models.push(['BG/NBD', bgnbdModel(fitBgNbd(summaries))]);
  if (which !== 'bgnbd') models.push(['Pareto/NBD', paretoNbdModel(fitParetoNbd(summaries))]);
  const files: Record<string, string> = {};
  const axes = (m: ClvMatrix) => ({
    xLabel: `recency t_x (${unit} from the first to the last purchase), observed T = ${m.T.toFixed(1)} ${unit}`,
    yLabel: 'frequency x (repeat purchases)',
    xTicks: m.recencies.map((r) => r.toFixed(0)),
    yTicks: m.frequencies.map(String),
  });
  for (const [label, model] of models) {
    const { expected, alive } = clvMatrices(model, { maxFrequency: maxX, T: maxT });
    files[`frequency-recency-${model.kind}.svg`] = heatmap({
      title: `${label}: expected purchases in the next ${unit === 'weeks' ? 'week' : 'day'} by frequency and recency`,
      ...axes(expected),
      values: expected.values,
      format: (v) => v.toFixed(2),
    });
    files[`p-alive-${model.kind}.svg`] = heatmap({
      title: `${label}: probability alive by frequency and recency (as of ${cutoff})`,
      ...axes(alive),
      values: alive.values,
      format: (v) => v.toFixed(2),
    });
  }
  return files;
}


export const clvPlotCommand: CliCommand = {
  name: 'clv plot',
  summary: 'frequency/recency and P(alive) matrices of BG/NBD and Pareto/NBD as SVG heatmaps',
  help: [
    'usage: winback clv plot --out DIR [--cutoff YYYY-MM-DD] [--unit weeks|days] [--model bgnbd|pareto-nbd|both] [--data-dir DIR]',
    '',
    '      --out DIR      where to write frequency-recency-<model>.svg and p-alive-<model>.svg',
    '      --cutoff DATE  last day of the calibration period, inclusive (default: the last order day)',
    '      --unit U       weeks (default) or days',
    '      --model M      which fits to plot (default both)',
  ].join('\n'),
  options: { out: { type: 'string' }, cutoff: { type: 'string' }, unit: { type: 'string' }, model: { type: 'string' } },
  async run({ dataDir, values, out, err }) {
    const dir = values['out'];
    if (typeof dir !== 'string' || dir === '') throw new UsageError('--out DIR is required');
    const unit = clvUnitOption(values);
    const which = (values['model'] ?? 'both') as string;
    if (which !== 'bgnbd' && which !== 'pareto-nbd' && which !== 'both') throw new UsageError(`--model must be bgnbd, pareto-nbd or both, got ${which}`);
    const cutoffArg = clvCutoffOption(values);
    const purchases = await storedPurchases(dataDir, err);
    const cutoff = cutoffArg ?? purchases.map((p) => p.timestamp.slice(0, 10)).sort().at(-1)!;
    await mkdir(dir, { recursive: true });
    for (const [name, svg] of Object.entries(clvPlotFiles(purchases, cutoff, unit, which))) {
      await writeFile(join(dir, name), svg);
      out(join(dir, name));
    }
    return 0;
  },
};
