import { predictLogits, predictProba, type TrainedModel } from './churn-model.js';
import { rocAuc } from './evaluate.js';
import { FEATURES, type FeatureName, type FeatureVector } from './features.js';
import { createRng, permutation, subSeed } from './random.js';

/**
 * "Top reasons" for a score, in words a marketer understands. Contribution of a feature =
 * how much the model's logit drops when that one feature is replaced by its training average
 * (occlusion). Positive = pushes towards the model's positive class (churn, or purchase).
 * Model-agnostic and exact for what the network computes, at the cost of one extra forward
 * pass per informative feature, batched.
 */

export interface Reason {
  readonly feature: FeatureName;
  readonly description: string;
  /** The customer's raw value (days, counts, money), for phrasing ("120 days"). */
  readonly value: number;
  /** Change in logit attributable to this feature (positive = towards the positive class). */
  readonly contribution: number;
}

/** The `k` features that push each customer's score up the most. */
export function topReasons(model: TrainedModel, customers: readonly FeatureVector[], k = 3): Reason[][] {
  const specs = FEATURES.filter((_, j) => (model.normalisation.std[j] ?? 0) > 1e-9);
  const base = predictLogits(model, customers);
  // Features that were constant in training are mapped to 0 by the model and cannot be reasons.
  const occluded: FeatureVector[] = [];
  for (const f of customers) for (const spec of specs) occluded.push(occlude(model, f, spec.name));
  const logits = predictLogits(model, occluded);
  return customers.map((f, i) => {
    const reasons = specs.map((spec, s) => ({
      feature: spec.name,
      description: spec.description,
      value: f[spec.name],
      contribution: (base[i] as number) - (logits[i * specs.length + s] as number),
    }));
    return reasons
      .filter((r) => r.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, k);
  });
}

/** The feature vector with `name` set to the raw value whose model input is the training mean. */
function occlude(model: TrainedModel, f: FeatureVector, name: FeatureName): FeatureVector {
  const j = FEATURES.findIndex((s) => s.name === name);
  const spec = FEATURES[j];
  const mean = model.normalisation.mean[j] ?? 0;
  let raw = mean;
  if (spec?.transform === 'log1p') raw = Math.expm1(mean);
  else if (spec?.transform === 'signedLog1p') raw = Math.sign(mean) * Math.expm1(Math.abs(mean));
  return { ...f, [name]: raw };
}

/* ---- global importance ------------------------------------------------------------------- */

export interface FeatureImportance {
  readonly feature: FeatureName;
  readonly description: string;
  /** Holdout ROC-AUC minus the mean ROC-AUC with this feature's column shuffled. */
  readonly importance: number;
}

export interface PermutationImportanceOptions {
  readonly seed: number;
  /** Shuffles per feature, averaged (default 3): one shuffle's AUC drop is noisy on small holdouts. */
  readonly repeats?: number;
  /** Rows per forward pass (default 16,384): several features' shuffled copies share a pass. */
  readonly batchRows?: number;
}

/**
 * Permutation importance (Breiman; scikit-learn's permutation_importance): how much the ROC-AUC
 * on labelled rows drops when one feature's column is shuffled, breaking its link with the label
 * while keeping its distribution. Unlike the occlusion used for reasons, it measures what the
 * ranking the model is judged on loses, and it sees interactions. Each feature's shuffles come
 * from its own seeded generator, so the result depends only on (model, rows, labels, seed).
 *
 * Cost: repeats x informative features forward passes over the rows, batched across features
 * (the wasm backend is slow per call, fast per row). Features constant in training (the model
 * maps them to 0) or constant in these rows (a shuffle changes nothing) score 0 without a pass.
 * Sorted by importance, highest first; ties keep the feature list's order.
 */
export function permutationImportance(
  model: TrainedModel,
  rows: readonly FeatureVector[],
  labels: readonly number[],
  options: PermutationImportanceOptions,
): FeatureImportance[] {
  const repeats = options.repeats ?? 3;
  const batchRows = Math.max(rows.length, options.batchRows ?? 16_384);
  const baseAuc = rocAuc(labels, predictProba(model, rows));
  const n = rows.length;
  const drop = new Array<number>(FEATURES.length).fill(0);

  // One job = one shuffle of one feature; jobs are queued and run as few large passes.
  const jobs: Array<{ j: number; shuffled: FeatureVector[] }> = [];
  const flush = (): void => {
    if (jobs.length === 0) return;
    const probs = predictProba(model, jobs.flatMap((job) => job.shuffled));
    jobs.forEach((job, k) => {
      const auc = rocAuc(labels, probs.slice(k * n, (k + 1) * n));
      drop[job.j] = (drop[job.j] as number) + (baseAuc - auc) / repeats;
    });
    jobs.length = 0;
  };
  FEATURES.forEach((spec, j) => {
    if ((model.normalisation.std[j] ?? 0) <= 1e-9) return;
    const column = rows.map((f) => f[spec.name]);
    if (column.every((v) => v === column[0])) return;
    const rng = createRng(subSeed(options.seed, 1000 + j));
    for (let r = 0; r < repeats; r++) {
      const order = permutation(n, rng);
      jobs.push({ j, shuffled: rows.map((f, i) => ({ ...f, [spec.name]: column[order[i] as number] as number })) });
      if ((jobs.length + 1) * n > batchRows) flush();
    }
  });
  flush();
  return FEATURES.map((spec, j) => ({ feature: spec.name, description: spec.description, importance: drop[j] as number, j }))
    .sort((a, b) => b.importance - a.importance || a.j - b.j)
    .map(({ feature, description, importance }) => ({ feature, description, importance }));
}
