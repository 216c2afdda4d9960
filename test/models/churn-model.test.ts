import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, disposeModel, predictProba, trainModel, TrainingDataError } from '../../models/churn-model.js';
import { rocAuc } from '../../models/evaluate.js';
import { runExperiment } from '../../models/experiment.js';
import { topReasons } from '../../models/explain.js';
import { FEATURE_NAMES } from '../../models/features.js';
import { buildTrainingSet, type LabelledRow } from '../../models/labels.js';
import { initBackend } from '../../models/tf/backend.js';
import { simulatePopulation } from './model-fixtures.js';

const population = simulatePopulation({ customers: 700, days: 420, seed: 11 });
const evalCutoff = new Date('2020-12-01T00:00:00Z');
let train: LabelledRow[];
let holdout: LabelledRow[];

beforeAll(() => {
  train = buildTrainingSet(population, [new Date('2020-06-01T00:00:00Z'), new Date('2020-07-15T00:00:00Z'), new Date('2020-09-01T00:00:00Z')], 90, {
    evalCutoff,
  });
  holdout = buildTrainingSet(population, [evalCutoff], 90);
});

const fast = { maxEpochs: 12, patience: 4, learningRate: 2e-3 };

describe('TF.js backend', () => {
  it('initialises once and reports the backend in use (tfjs-node absent here, so wasm)', async () => {
    const info = await initBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.name);
    expect(await initBackend()).toBe(info);
    if (info.name !== 'tensorflow') expect(info.fallbacks.some((f) => f.startsWith('tensorflow'))).toBe(true);
  });
});

describe('createModel', () => {
  it('builds the same seeded network for the same seed', async () => {
    await initBackend();
    const a = createModel(FEATURE_NAMES.length, { seed: 5 });
    const b = createModel(FEATURE_NAMES.length, { seed: 5 });
    const c = createModel(FEATURE_NAMES.length, { seed: 6 });
    const first = (m: typeof a) => Array.from(m.getWeights()[0]!.dataSync());
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    expect(a.outputs[0]!.shape).toEqual([null, 1]);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('trainModel', () => {
  it('is reproducible: the same seed and data give the same probabilities and AUC', async () => {
    // Prepare
    await initBackend();

    // Act
    const m1 = await trainModel(train, 'churn', { seed: 42, ...fast });
    const m2 = await trainModel(train, 'churn', { seed: 42, ...fast });
    const m3 = await trainModel(train, 'churn', { seed: 43, ...fast });
    const p1 = predictProba(m1, holdout.map((r) => r.features));
    const p2 = predictProba(m2, holdout.map((r) => r.features));
    const p3 = predictProba(m3, holdout.map((r) => r.features));
    const labels = holdout.map((r) => r.label as number);

    // Assess
    expect(p2).toEqual(p1);
    expect(rocAuc(labels, p2)).toBe(rocAuc(labels, p1));
    expect(p3).not.toEqual(p1);
    expect(m1.dataHash).toBe(m2.dataHash);
    expect(rocAuc(labels, p1)).toBeGreaterThan(0.6);
    for (const p of p1) expect(p >= 0 && p <= 1).toBe(true);
    [m1, m2, m3].forEach(disposeModel);
  });

  it('handles class imbalance with balanced class weights and keeps normalisation from the training split', async () => {
    await initBackend();
    const m = await trainModel(train, 'churn', { seed: 1, ...fast });
    const { positive, negative } = m.training.classWeights;
    const rate = m.training.trainPositiveRate;
    expect(positive * rate).toBeCloseTo(negative * (1 - rate), 9); // each class carries half the loss
    expect(m.normalisation.mean).toHaveLength(FEATURE_NAMES.length);
    expect(m.training.trainRows + m.training.validationRows).toBe(train.length);
    expect(m.training.bestEpoch).toBeGreaterThan(0);
    expect(m.training.bestEpoch).toBeLessThanOrEqual(m.training.epochs);
    // Top reasons: features that push towards churn, described in words.
    const reasons = topReasons(m, holdout.slice(0, 20).map((r) => r.features), 3);
    expect(reasons).toHaveLength(20);
    for (const list of reasons) {
      expect(list.length).toBeLessThanOrEqual(3);
      for (const r of list) expect(r.contribution > 0 && r.description.length > 0).toBe(true);
      expect(list.map((r) => r.contribution)).toEqual([...list.map((r) => r.contribution)].sort((a, b) => b - a));
    }
    expect(reasons.some((l) => l.length > 0)).toBe(true);
    // JSON-printable summary (the CLI prints the experiment with JSON.stringify).
    expect(JSON.parse(JSON.stringify(m))).toMatchObject({ target: 'churn', features: FEATURE_NAMES.length });
    disposeModel(m);
  });

  it('refuses a training set with one class', async () => {
    const oneClass = train.map((r) => ({ ...r, label: 0 as const }));
    await expect(trainModel(oneClass, 'churn', { seed: 1 })).rejects.toThrow(TrainingDataError);
  });
});

describe('runExperiment (simulated data)', () => {
  it('trains a propensity model and reports it next to the three baselines on a time holdout', async () => {
    // Act
    const r = await runExperiment({
      eventsByCustomer: population,
      evalCutoff,
      horizonDays: 30,
      target: 'propensity',
      seed: 3,
      train: fast,
    });

    // Assess
    expect(r.comparison.map((c) => c.name)).toEqual(['model', 'recency', 'logisticRfm', 'bgnbd']);
    for (const c of r.comparison) {
      for (const v of [c.rocAuc, c.prAuc, c.logLoss, c.brier]) expect(Number.isFinite(v)).toBe(true);
    }
    for (const c of r.trainCutoffs) expect(Date.parse(c) + 30 * 86_400_000).toBeLessThanOrEqual(evalCutoff.getTime());
    expect(r.lift).toHaveLength(10);
    expect(r.calibration).toHaveLength(10);
    expect(r.metrics.rocAuc).toBeGreaterThan(0.6);
    const json = JSON.parse(JSON.stringify(r));
    expect(json.baselines.bgnbd.metrics.rocAuc).toBeTypeOf('number');
    expect(json.model.target).toBe('propensity');
    r.model.network.dispose();
  });
});
