import { WinbackError } from '../kernel/errors.js';
import { bgnbdBaseline, logisticRfmBaseline, recencyBaseline, type BaselineName, type BaselineScores } from './baselines.js';
import { predictProba, trainModel, type TrainedModel, type TrainOptions } from './churn-model.js';
import { binaryMetrics, calibrationTable, liftTable, type CalibrationBin, type DecileRow, type Metrics } from './evaluate.js';
import { addDays, buildTrainingSet, rollingCutoffs, type EventsByCustomer, type LabelledRow, type Target } from './labels.js';
import type { ModelProvenance } from './model-io.js';
import { initBackend, type BackendInfo } from './tf/backend.js';

/**
 * One training run, the way a data scientist would judge it: rows from rolling cutoffs before
 * the evaluation cutoff (every label window ends by then), the TF.js model trained on them, and
 * the model and each baseline scored on the same time holdout (customers with an order before
 * the evaluation cutoff, labelled by what happened in the horizon after it).
 *
 * The result is what `winback train --json` prints; `model` is the trained model itself (its
 * toJSON prints a summary) so the caller can save it with model-io.
 */

export class ExperimentError extends WinbackError {}

export interface ExperimentOptions {
  readonly eventsByCustomer: EventsByCustomer;
  readonly evalCutoff: Date;
  readonly horizonDays: number;
  readonly target: Target;
  readonly seed: number;
  /** Explicit training cutoffs; by default rolling ones (see below). */
  readonly trainCutoffs?: readonly Date[];
  /** Rolling cutoffs: how many (default 6) and how far apart (default 30 days). */
  readonly cutoffCount?: number;
  readonly cutoffStepDays?: number;
  /** A training cutoff needs this much data before it (default 30 days). */
  readonly minHistoryDays?: number;
  /**
   * Label horizon of the training rows. Defaults to horizonDays; when the history before the
   * evaluation cutoff is too short for even one full-horizon cutoff (CDNOW: 9 months of data, a
   * 39-week horizon) it defaults to half that history, so the split stays a true time split.
   */
  readonly trainHorizonDays?: number;
  readonly train?: Partial<Omit<TrainOptions, 'seed'>>;
  readonly onProgress?: (stage: 'features' | 'train' | 'baselines' | 'evaluate', detail: string) => void;
}

export interface ScoreReport {
  readonly description: string;
  readonly metrics: Metrics;
  readonly calibration: CalibrationBin[];
  readonly lift: DecileRow[];
  readonly details?: Record<string, unknown>;
  readonly warnings?: string[];
}

export interface ComparisonRow {
  readonly name: 'model' | BaselineName;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly logLoss: number;
  readonly brier: number;
}

export interface ExperimentResult {
  readonly target: Target;
  readonly seed: number;
  readonly evalCutoff: string;
  readonly horizonDays: number;
  readonly trainHorizonDays: number;
  readonly trainCutoffs: string[];
  readonly backend: BackendInfo;
  readonly data: {
    readonly customers: number;
    readonly events: number;
    readonly from: string;
    readonly to: string;
    readonly trainRows: number;
    readonly holdoutRows: number;
    readonly trainPositiveRate: number;
    readonly holdoutPositiveRate: number;
  };
  readonly model: TrainedModel;
  /** The model on the holdout. */
  readonly metrics: Metrics;
  readonly calibration: CalibrationBin[];
  readonly lift: DecileRow[];
  readonly baselines: Record<BaselineName, ScoreReport>;
  /** Model and baselines side by side (the table to print). */
  readonly comparison: ComparisonRow[];
  /** True when the model's ROC-AUC is above every baseline's on this holdout. */
  readonly beatsAllBaselines: boolean;
  /** Ready for model-io's saveModel. */
  readonly provenance: ModelProvenance;
  readonly timings: { readonly featuresMs: number; readonly trainMs: number; readonly baselinesMs: number; readonly totalMs: number };
  readonly warnings: string[];
}

const DAY_MS = 86_400_000;

function dataRange(eventsByCustomer: EventsByCustomer): { from: number; to: number; events: number } {
  let from = Infinity;
  let to = -Infinity;
  let events = 0;
  for (const list of eventsByCustomer.values()) {
    for (const e of list) {
      const t = Date.parse(e.timestamp);
      if (!Number.isFinite(t)) continue;
      events++;
      if (t < from) from = t;
      if (t > to) to = t;
    }
  }
  return { from, to, events };
}

function report(description: string, labels: number[], probs: number[], scores?: number[]): Omit<ScoreReport, 'details' | 'warnings'> {
  return {
    description,
    metrics: binaryMetrics(labels, probs, scores),
    calibration: calibrationTable(labels, probs),
    lift: liftTable(labels, scores ?? probs),
  };
}

function row(name: ComparisonRow['name'], m: Metrics): ComparisonRow {
  return { name, rocAuc: m.rocAuc, prAuc: m.prAuc, logLoss: m.logLoss, brier: m.brier };
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const { eventsByCustomer, evalCutoff, horizonDays, target, seed } = options;
  const progress = options.onProgress ?? (() => undefined);
  const range = dataRange(eventsByCustomer);
  if (!Number.isFinite(range.from)) throw new ExperimentError('no events to train on');
  const dataStart = new Date(Math.floor(range.from / DAY_MS) * DAY_MS);
  if (evalCutoff.getTime() <= range.from) throw new ExperimentError(`evaluation cutoff ${evalCutoff.toISOString()} is before the first event`);
  if (addDays(evalCutoff, horizonDays).getTime() > range.to + DAY_MS) {
    warnings.push(
      `the holdout label window ends ${addDays(evalCutoff, horizonDays).toISOString().slice(0, 10)}, after the last event ` +
        `(${new Date(range.to).toISOString().slice(0, 10)}): holdout labels are censored and churn is overstated`,
    );
  }

  const minHistoryDays = options.minHistoryDays ?? 30;
  const historyDays = (evalCutoff.getTime() - dataStart.getTime()) / DAY_MS;
  let trainHorizonDays = options.trainHorizonDays ?? horizonDays;
  if (options.trainHorizonDays === undefined && !options.trainCutoffs && historyDays - horizonDays < minHistoryDays) {
    trainHorizonDays = Math.floor(historyDays / 2);
    warnings.push(
      `only ${Math.floor(historyDays)} days of history before the evaluation cutoff: training labels use a ` +
        `${trainHorizonDays}-day horizon (the holdout keeps ${horizonDays} days) so every label window ends by the cutoff`,
    );
  }
  const trainCutoffs =
    options.trainCutoffs ??
    rollingCutoffs({
      evalCutoff,
      horizonDays: trainHorizonDays,
      dataStart,
      count: options.cutoffCount ?? 6,
      stepDays: options.cutoffStepDays ?? 30,
      minHistoryDays: Math.min(minHistoryDays, Math.floor(historyDays / 4)),
    });
  if (trainCutoffs.length === 0) throw new ExperimentError('no training cutoff fits before the evaluation cutoff');

  // ---- rows -------------------------------------------------------------------------------
  const t0 = performance.now();
  progress('features', `${trainCutoffs.length} training cutoffs + holdout`);
  // evalCutoff here makes buildTrainingSet refuse any cutoff whose labels would leak.
  const train = buildTrainingSet(eventsByCustomer, trainCutoffs, trainHorizonDays, { target, evalCutoff });
  const holdout = buildTrainingSet(eventsByCustomer, [evalCutoff], horizonDays, { target });
  if (holdout.length === 0) throw new ExperimentError('no customer has an order before the evaluation cutoff');
  const featuresMs = performance.now() - t0;

  // ---- model ------------------------------------------------------------------------------
  const backend = await initBackend();
  progress('train', `${train.length} rows on ${backend.name}`);
  const t1 = performance.now();
  const model = await trainModel(train, target, { ...options.train, seed });
  const trainMs = performance.now() - t1;
  const labels = holdout.map((r) => r.label as number);
  const probs = predictProba(model, holdout.map((r) => r.features));
  const modelReport = report(`TF.js MLP on ${model.featureNames.length} features (${model.featureVersion})`, labels, probs);

  // ---- baselines ----------------------------------------------------------------------------
  progress('baselines', 'recency, logistic RFM, BG/NBD');
  const t2 = performance.now();
  const toReport = (b: BaselineScores): ScoreReport => ({
    ...report(b.description, labels, b.probs, b.scores),
    details: b.details,
    warnings: b.warnings,
  });
  const baselines: Record<BaselineName, ScoreReport> = {
    recency: toReport(recencyBaseline(train, holdout, target)),
    logisticRfm: toReport(logisticRfmBaseline(train, holdout)),
    bgnbd: toReport(bgnbdBaseline(eventsByCustomer, train, holdout, horizonDays, target)),
  };
  const baselinesMs = performance.now() - t2;

  progress('evaluate', 'holdout metrics');
  const comparison = [
    row('model', modelReport.metrics),
    ...(Object.entries(baselines) as Array<[BaselineName, ScoreReport]>).map(([name, b]) => row(name, b.metrics)),
  ];
  const beatsAllBaselines = Object.values(baselines).every((b) => modelReport.metrics.rocAuc > b.metrics.rocAuc);
  const trainWindowEnd = addDays(trainCutoffs.reduce((a, b) => (a > b ? a : b)), trainHorizonDays);

  const provenance: ModelProvenance = {
    trainCutoffs: trainCutoffs.map((c) => c.toISOString()),
    evalCutoff: evalCutoff.toISOString(),
    horizonDays,
    trainHorizonDays,
    trainingWindow: { from: dataStart.toISOString(), to: trainWindowEnd.toISOString() },
    metrics: { ...modelReport.metrics },
    baselines: Object.fromEntries(Object.entries(baselines).map(([k, b]) => [k, b.metrics])),
    backend: backend.name,
    seed,
  };

  return {
    target,
    seed,
    evalCutoff: evalCutoff.toISOString(),
    horizonDays,
    trainHorizonDays,
    trainCutoffs: trainCutoffs.map((c) => c.toISOString()),
    backend,
    data: {
      customers: eventsByCustomer.size,
      events: range.events,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      trainRows: train.length,
      holdoutRows: holdout.length,
      trainPositiveRate: positiveRate(train),
      holdoutPositiveRate: positiveRate(holdout),
    },
    model,
    metrics: modelReport.metrics,
    calibration: modelReport.calibration,
    lift: modelReport.lift,
    baselines,
    comparison,
    beatsAllBaselines,
    provenance,
    timings: {
      featuresMs: Math.round(featuresMs),
      trainMs: Math.round(trainMs),
      baselinesMs: Math.round(baselinesMs),
      totalMs: Math.round(performance.now() - started),
    },
    warnings: [...warnings, ...Object.values(baselines).flatMap((b) => b.warnings ?? [])],
  };
}

function positiveRate(rows: readonly LabelledRow[]): number {
  return rows.length === 0 ? 0 : rows.reduce((a, r) => a + r.label, 0) / rows.length;
}

/** The comparison as a fixed-width text table (for logs and the README). */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const head = `${'model'.padEnd(12)} ${'ROC-AUC'.padStart(8)} ${'PR-AUC'.padStart(8)} ${'log loss'.padStart(9)} ${'Brier'.padStart(7)}`;
  const lines = rows.map(
    (r) =>
      `${r.name.padEnd(12)} ${r.rocAuc.toFixed(4).padStart(8)} ${r.prAuc.toFixed(4).padStart(8)} ${r.logLoss.toFixed(4).padStart(9)} ${r.brier.toFixed(4).padStart(7)}`,
  );
  return [head, ...lines].join('\n');
}
