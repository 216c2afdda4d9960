import cliProgress from 'cli-progress';
import { openRegistryFor } from '../../application/model-registry.js';
import { trainAndRegister } from '../../application/training.js';
import type { TargetReport, TrainingProgress, TrainModelsResult } from '../../functions/jobs/training.js';
import { formatComparison } from '../../models/experiment.js';
import type { Target } from '../../models/labels.js';
import { withStack } from '../local/stack.js';
import { integerOption, timeOption, UsageError, type CliCommand } from './command.js';

/**
 * `winback train`: the training job against the local stack's table (running or embedded),
 * registering into <data-dir>/models (or MODEL_REGISTRY_URI). Progress on stderr; results on
 * stdout, as a table or as JSON (`--json`: the model's holdout metrics, a `baselines` object
 * with the same metrics per baseline, and the registry decision).
 */
function progressBar(): { update(p: TrainingProgress): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    { format: 'train {stage} [{bar}] {value}/{total} {detail}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let key = '';
  return {
    update(p) {
      const label = p.target ? `${p.target} ${p.stage}` : p.stage;
      if (!started) {
        bar.start(p.total, p.done, { stage: label, detail: p.detail ?? '' });
        started = true;
      }
      if (key !== label) {
        key = label;
        bar.setTotal(p.total);
      }
      bar.update(p.done, { stage: label, detail: p.detail ?? '' });
    },
    stop: () => started && bar.stop(),
  };
}

/** What `--json` prints for one model. */
export function reportJson(r: TargetReport): Record<string, unknown> {
  return {
    model: r.model,
    version: r.version,
    evalCutoff: r.evalCutoff,
    horizonDays: r.horizonDays,
    trainCutoffs: r.trainCutoffs,
    metrics: r.metrics,
    baselines: r.baselines,
    beatsAllBaselines: r.beatsAllBaselines,
    registry: r.registry,
    data: r.data,
    backend: r.backend,
    timings: r.timings,
    warnings: r.warnings,
    backtest: r.backtest,
  };
}

function printText(result: TrainModelsResult, out: (line: string) => void): void {
  for (const r of Object.values(result.reports)) {
    out(`${r.model} ${r.version}: holdout ${r.evalCutoff.slice(0, 10)} + ${r.horizonDays} d, ${r.data.holdoutRows} customers (positive rate ${r.data.holdoutPositiveRate.toFixed(3)}), ${r.data.trainRows} training rows`);
    out(formatComparison(r.comparison));
    out(`beats every baseline on ROC-AUC: ${r.beatsAllBaselines}`);
    out(`registry: ${r.registry.decision} - ${r.registry.reason}`);
    for (const w of r.warnings) out(`warning: ${w}`);
    out(r.backtestSummary);
    out('');
  }
  const c = result.clv;
  out(`clv ${c.version}: ${c.decision} - ${c.reason}`);
  out(`  BG/NBD r=${c.bgnbd.r.toFixed(4)} alpha=${c.bgnbd.alpha.toFixed(4)} a=${c.bgnbd.a.toFixed(4)} b=${c.bgnbd.b.toFixed(4)} LL=${c.bgnbd.logLikelihood.toFixed(1)}${c.bgnbd.degenerate ? ' (degenerate: regularised)' : ''}`);
  out(`  Gamma-Gamma p=${c.gammaGamma.p.toFixed(4)} q=${c.gammaGamma.q.toFixed(4)} gamma=${c.gammaGamma.gamma.toFixed(4)}; ${c.customers} customers as of ${c.asOf.slice(0, 10)}`);
  out(`  tiers (12-month CLV): diamond >= ${c.tierThresholds.diamond.toFixed(2)}, gold >= ${c.tierThresholds.gold.toFixed(2)}, silver >= ${c.tierThresholds.silver.toFixed(2)}`);
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'train churn / propensity models on the stored events, compare with baselines, register; refit CLV',
  help: [
    'usage: winback train [--model churn|propensity] [--cutoff DATE] [--horizon DAYS] [--seed N] [--json] [--data-dir DIR]',
    '',
    '  --model    one target (default both)',
    '  --cutoff   start of the time holdout (default: the day after the last event minus the horizon)',
    '  --horizon  label horizon in days (default 90 for churn, 30 for propensity)',
    '  --seed     training seed (default TRAINING_SEED or 42)',
    '  --json     metrics, baselines and the registry decision as JSON',
    'Models are registered in <data-dir>/models (or MODEL_REGISTRY_URI); a new model becomes champion',
    'only if its ROC-AUC beats the champion on the same holdout.',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    cutoff: { type: 'string' },
    horizon: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ dataDir, values, out }) {
    const model = values['model'];
    if (model !== undefined && model !== 'churn' && model !== 'propensity') throw new UsageError(`--model must be churn or propensity, got ${String(model)}`);
    const targets: Target[] = model ? [model] : ['churn', 'propensity'];
    const cutoff = timeOption(values, 'cutoff');
    const horizonDays = integerOption(values, 'horizon', { min: 1, max: 730 });
    const seedOption = integerOption(values, 'seed', { min: 0, max: 2 ** 31 - 1 });
    const registry = await openRegistryFor(dataDir);
    const bar = progressBar();
    const result = await withStack(dataDir, async (stack) => {
      try {
        return await trainAndRegister({
          table: stack.tableName,
          registry,
          targets,
          ...(cutoff ? { cutoff } : {}),
          ...(horizonDays !== undefined ? { horizonDays } : {}),
          ...(seedOption !== undefined ? { seed: seedOption } : {}),
          now: new Date(),
          onProgress: (p) => bar.update(p),
        });
      } finally {
        bar.stop();
      }
    });
    if (values['json']) {
      const reports = Object.values(result.reports).map(reportJson);
      const body = reports.length === 1 ? { ...reports[0], clv: result.clv } : { ...Object.fromEntries(reports.map((r) => [r['model'], r])), clv: result.clv };
      out(JSON.stringify(body, null, 2));
    } else printText(result, out);
    return 0;
  },
};
