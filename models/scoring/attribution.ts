import { predictLogits, type TrainedModel } from '../churn-model.js';
import { FEATURES, type FeatureName, type FeatureVector } from '../features.js';

/**
 * Signed feature contributions to a model's logit by occlusion (leave-one-out against the
 * training mean): contribution_j = logit(x) - logit(x with feature j at its training mean).
 * Positive pushes towards the model's positive class (churn), negative away from it.
 *
 * A thin adapter beside models/explain.ts (which keeps only the positive contributions): the
 * scorer also needs the negative ones, to say why a low-risk customer is likely to stay.
 * Features constant in training (std 0) are skipped: the model cannot use them.
 */
export interface Contribution {
  readonly feature: FeatureName;
  readonly contribution: number;
}

/** The raw value whose transformed input equals the training mean (the model's "typical" value). */
export function typicalValue(model: TrainedModel, feature: FeatureName): number {
  const j = FEATURES.findIndex((s) => s.name === feature);
  const spec = FEATURES[j];
  const mean = model.normalisation.mean[j] ?? 0;
  if (spec?.transform === 'log1p') return Math.expm1(mean);
  if (spec?.transform === 'signedLog1p') return Math.sign(mean) * Math.expm1(Math.abs(mean));
  return mean;
}

export function featureContributions(model: TrainedModel, customers: readonly FeatureVector[]): Contribution[][] {
  const informative = FEATURES.filter((_, j) => (model.normalisation.std[j] ?? 0) > 1e-9).map((s) => s.name);
  const typical = new Map(informative.map((name) => [name, typicalValue(model, name)]));
  const base = predictLogits(model, customers);
  const occluded: FeatureVector[] = [];
  for (const f of customers) for (const name of informative) occluded.push({ ...f, [name]: typical.get(name) ?? 0 });
  const logits = occluded.length > 0 ? predictLogits(model, occluded) : [];
  return customers.map((_, i) =>
    informative.map((feature, s) => {
      const c = (base[i] as number) - (logits[i * informative.length + s] as number);
      return { feature, contribution: Number.isFinite(c) ? c : 0 };
    }),
  );
}
