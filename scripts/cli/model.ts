import { openRegistryFor, showVersion } from '../../application/model-registry.js';
import { ModelName, type ModelEvaluation, type RegistryIndex, type VersionEntry } from '../../models/registry/schema.js';
import { UsageError, type CliCommand, type OptionValues } from './command.js';

/**
 * `winback model list | show | promote | rollback`: the registry by hand (application/model-registry.ts
 * finds it: MODEL_REGISTRY_URI, else `<dataDir>/models`); these commands need no running stack.
 */
function modelOption(values: OptionValues, fallback?: ModelName): ModelName | undefined {
  const raw = values['model'];
  if (raw === undefined) return fallback;
  const parsed = ModelName.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--model must be one of ${ModelName.options.join(', ')}, got ${String(raw)}`);
  return parsed.data;
}

function headline(v: VersionEntry): string {
  const m = v.metrics;
  if (v.model === 'clv') {
    return `r=${m['r']?.toFixed(3)} alpha=${m['alpha']?.toFixed(2)} a=${m['a']?.toFixed(3)} b=${m['b']?.toFixed(2)}${m['degenerate'] ? ' (degenerate, regularised)' : ''}`;
  }
  if (v.model === 'uplift') {
    return `Qini ${m['qini']?.toFixed(4)}  uplift@30% ${m['upliftAt30']?.toFixed(4)} vs holdout ATE ${m['ate']?.toFixed(4)}  (${m['n']} holdout rows)`;
  }
  return `ROC-AUC ${m['rocAuc']?.toFixed(4)}  PR-AUC ${m['prAuc']?.toFixed(4)}  holdout ${v.evalCutoff?.slice(0, 10)}+${v.horizonDays}d`;
}

function printIndex(index: RegistryIndex, out: (line: string) => void): void {
  out(`${index.model}: champion ${index.champion ?? '(none)'}`);
  for (const v of [...index.versions].reverse()) {
    out(`  ${v.status === 'champion' ? '*' : ' '} ${v.version.padEnd(34)} ${v.status.padEnd(11)} ${headline(v)}`);
    out(`      ${v.reason}`);
    const last = v.backtests?.at(-1);
    if (last) out(`      backtest ${last.scoredAt.slice(0, 10)}+${last.horizonDays}d: AUC ${last.auc?.toFixed(3) ?? 'n/a'}, top-decile lift ${last.topDecileLift.toFixed(2)}, ECE ${last.ece.toFixed(3)} (n ${last.n})`);
    if (v.flagged) out(`      FLAGGED: ${v.flagReason ?? 'realised quality below the threshold'}`);
  }
}

export const modelListCommand: CliCommand = {
  name: 'model list',
  summary: 'list registered model versions, champions and challengers',
  help: [
    'usage: winback model list [--model churn|propensity|clv|uplift] [--json] [--data-dir DIR]',
    '',
    'Reads the registry at MODEL_REGISTRY_URI, else <data-dir>/models.',
  ].join('\n'),
  options: { model: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const registry = await openRegistryFor(dataDir);
    const only = modelOption(values);
    const indexes = only ? [await registry.readIndex(only)] : await registry.list();
    if (values['json']) out(JSON.stringify({ registry: registry.store.uri, models: indexes }, null, 2));
    else {
      out(`registry ${registry.store.uri}`);
      for (const index of indexes) printIndex(index, out);
    }
    return 0;
  },
};

export const modelPromoteCommand: CliCommand = {
  name: 'model promote',
  summary: 'make a registered version the champion (manual, with a reason)',
  help: 'usage: winback model promote <version> [--reason TEXT] [--data-dir DIR]',
  options: { reason: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const version = positionals[0];
    if (!version) throw new UsageError('name the version to promote (see winback model list)');
    const reason = typeof values['reason'] === 'string' && values['reason'] !== '' ? values['reason'] : 'promoted by hand';
    const index = await (await openRegistryFor(dataDir)).promote(version, reason, new Date());
    out(`${index.model} champion is now ${index.champion} (${reason})`);
    return 0;
  },
};

export const modelRollbackCommand: CliCommand = {
  name: 'model rollback',
  summary: 'go back to the previous champion of a model',
  help: 'usage: winback model rollback [--model churn|propensity|clv|uplift] [--reason TEXT] [--data-dir DIR]   (default churn)',
  options: { model: { type: 'string' }, reason: { type: 'string' } },
  async run({ dataDir, values, out }) {
    const model = modelOption(values, 'churn') as ModelName;
    const reason = typeof values['reason'] === 'string' && values['reason'] !== '' ? values['reason'] : 'rolled back by hand';
    const { from, to } = await (await openRegistryFor(dataDir)).rollback(model, reason, new Date());
    out(`${model} champion rolled back from ${from} to ${to}`);
    return 0;
  },
};

const num = (x: number | undefined, digits = 4): string => (x === undefined ? '-' : x.toFixed(digits));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function printEntry(entry: VersionEntry, out: (line: string) => void): void {
  out(`${entry.version}  ${entry.status}${entry.status === 'champion' ? ' (live)' : ''}`);
  out(`  registered   ${entry.createdAt}`);
  out(`  reason       ${entry.reason}`);
  if (entry.trainingWindow) out(`  trained on   ${entry.trainingWindow.from.slice(0, 10)} .. ${entry.trainingWindow.to.slice(0, 10)}`);
  if (entry.featureVersion) out(`  features     ${entry.featureVersion}`);
  if (entry.backend) out(`  backend      ${entry.backend}`);
  out(`  data hash    ${entry.dataHash.slice(0, 12)}`);
  if (entry.comparedWith) {
    const c = entry.comparedWith;
    const score = c.rocAuc !== undefined ? `ROC-AUC ${num(c.rocAuc)}` : c.qini !== undefined ? `Qini ${num(c.qini)}` : `not scored (${c.error ?? 'unknown'})`;
    out(`  compared     with ${c.version}: ${score}`);
  }
  for (const b of entry.backtests ?? []) {
    out(`  backtest     scored ${b.scoredAt.slice(0, 10)} +${b.horizonDays} d (${b.source}, n ${b.n}): AUC ${b.auc === null ? 'n/a' : num(b.auc)}, top-decile lift ${num(b.topDecileLift, 2)}, ECE ${num(b.ece, 3)}`);
  }
  if (entry.flagged) out(`  FLAGGED      ${entry.flagReason ?? 'realised quality below the threshold'}`);
}

function printEvaluation(e: ModelEvaluation, out: (line: string) => void): void {
  const h = e.holdout;
  out('');
  out(`holdout ${h.cutoff.slice(0, 10)} + ${h.horizonDays} d: ${h.customers} customers, ${h.positives} positive (${pct(h.customers > 0 ? h.positives / h.customers : 0)})`);
  out('');
  const self = `this model (${e.model})`;
  const width = Math.max(self.length, ...e.baselines.map((b) => b.label.length));
  out(`${''.padEnd(width)} ${'ROC-AUC'.padStart(8)} ${'PR-AUC'.padStart(8)} ${'log loss'.padStart(9)} ${'Brier'.padStart(7)}`);
  const row = (name: string, m: ModelEvaluation['metrics']): string =>
    `${name.padEnd(width)} ${num(m.rocAuc).padStart(8)} ${num(m.prAuc).padStart(8)} ${num(m.logLoss).padStart(9)} ${num(m.brier).padStart(7)}`;
  out(row(self, e.metrics));
  for (const b of e.baselines) out(row(b.label, b.metrics));
  if (e.baselines.length === 0) out('(no baselines were recorded for this version)');
  out('');
  out('calibration        count  predicted  observed');
  for (const b of e.calibration) {
    out(`  ${b.lower.toFixed(1)} - ${b.upper.toFixed(1)}  ${String(b.count).padStart(9)}  ${b.count > 0 ? num(b.meanPredicted, 3).padStart(9) : '-'.padStart(9)}  ${b.count > 0 ? num(b.observedRate, 3).padStart(8) : '-'.padStart(8)}`);
  }
  out('');
  out('decile  count  positives   rate   lift  cumulative gain');
  for (const d of e.lift) {
    out(`${String(d.decile).padStart(6)}  ${String(d.count).padStart(5)}  ${String(d.positives).padStart(9)}  ${num(d.rate, 3).padStart(5)}  ${num(d.lift, 2).padStart(5)}  ${pct(d.cumulativeGain).padStart(15)}`);
  }
  out('');
  out('top features (drop in holdout ROC-AUC when the feature is shuffled)');
  e.featureImportance.forEach((f, i) => out(`${String(i + 1).padStart(3)}. ${f.feature.padEnd(28)} ${num(f.importance).padStart(8)}  ${f.description}`));
  out('');
  out(`ROC curve ${e.roc.length} points, precision-recall curve ${e.pr.length} points (--json to get them)`);
}

export const modelShowCommand: CliCommand = {
  name: 'model show',
  summary: 'one registered version: its registry entry and holdout evaluation report',
  help: [
    'usage: winback model show <version> [--json] [--data-dir DIR]',
    '',
    'The version\'s registry entry (status, reason, training window) and its evaluation report:',
    'metrics next to the baselines, calibration, lift by decile, top features.',
    '  --json   { entry, evaluation }: the registry entry and the stored evaluation.json',
    '           (evaluation is null for CLV versions and versions registered before reports were kept)',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const version = positionals[0];
    if (!version) throw new UsageError('name the version to show (see winback model list)');
    if (positionals.length > 1) throw new UsageError(`one version at a time, got ${positionals.length}`);
    const shown = await showVersion(await openRegistryFor(dataDir), version);
    if (values['json']) {
      out(JSON.stringify(shown, null, 2));
      return 0;
    }
    printEntry(shown.entry, out);
    if (shown.evaluation) printEvaluation(shown.evaluation, out);
    else if (shown.entry.model === 'clv') out(`  fit          ${headline(shown.entry)}`);
    else if (shown.entry.model === 'uplift') out(`  holdout      ${headline(shown.entry)}  (curves: uplift/<version>/uplift.json)`);
    else out('  (no evaluation report: registered before reports were kept)');
    return 0;
  },
};
