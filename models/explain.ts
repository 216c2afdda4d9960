import { predictLogits, type TrainedModel } from './churn-model.js';
import { FEATURES, type FeatureName, type FeatureVector } from './features.js';

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
