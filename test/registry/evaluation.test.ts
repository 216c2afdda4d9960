import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModels, type TrainModelsResult } from '../../functions/jobs/training.js';
import { recencyBaseline } from '../../models/baselines.js';
import { disposeModel, trainModel, type TrainedModel } from '../../models/churn-model.js';
import { binaryMetrics, CURVE_MAX_POINTS, type RocPoint } from '../../models/evaluate.js';
import { permutationImportance } from '../../models/explain.js';
import { FEATURES } from '../../models/features.js';
import { buildTrainingSet, type LabelledRow } from '../../models/labels.js';
import { RegistryFormatError } from '../../models/registry/errors.js';
import { BASELINE_LABELS, TOP_FEATURES } from '../../models/registry/evaluation.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { EVALUATION_FILE, ModelRegistry } from '../../models/registry/registry.js';
import { ModelEvaluation } from '../../models/registry/schema.js';
import { initBackend } from '../../models/tf/backend.js';
import { useTempRegistries } from '../helpers/temp-dirs.js';
import { cdnowProvenance, cdnowSlice, FAST_TRAINING } from './fixtures.js';

/**
 * Evaluation reports: what registration writes next to a version's model files, and what
 * readEvaluation gives back. The CDNOW slice has orders only (no web or email events), which
 * the feature importance must reflect.
 */
const population = cdnowSlice(400);
const evalCutoff = new Date('1997-10-01T00:00:00Z');
const trainCutoffs = ['1997-05-01', '1997-06-01', '1997-07-01'].map((d) => new Date(`${d}T00:00:00Z`));
const tempRegistry = useTempRegistries();
let jobRegistry: ModelRegistry;
let job: TrainModelsResult;
let train: LabelledRow[];
let holdout: LabelledRow[];
let model: TrainedModel;

const provenance = cdnowProvenance({ trainCutoffs, evalCutoff, seed: 5 });

const versionDir = (registry: ModelRegistry, version: string): string =>
  join((registry.store as FileModelStore).dir, version.split('-')[0] as string, version);

function trapezoid(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i]!.fpr - points[i - 1]!.fpr) * (points[i]!.tpr + points[i - 1]!.tpr)) / 2;
  return area;
}

beforeAll(async () => {
  await initBackend();
  jobRegistry = tempRegistry();
  // The training job end to end (events given, so no table is read): experiment, baselines, registration.
  job = await trainModels({
    table: 'unused',
    registry: jobRegistry,
    targets: ['churn'],
    cutoff: evalCutoff,
    horizonDays: 90,
    seed: 5,
    now: new Date('2026-11-23T10:15:00Z'),
    eventsByCustomer: population,
    experiment: { cutoffCount: 3, train: FAST_TRAINING },
  });
  train = buildTrainingSet(population, trainCutoffs, 90, { evalCutoff });
  holdout = buildTrainingSet(population, [evalCutoff], 90);
  model = await trainModel(train, 'churn', { seed: 5, ...FAST_TRAINING });
});

afterAll(() => {
  disposeModel(model);
});

describe('evaluation report written by the training job', () => {
  it('sits next to the model files and holds the registry metrics and the experiment baselines', async () => {
    const version = job.versions.churn!;
    const report = job.reports.churn!;
    expect(readdirSync(versionDir(jobRegistry, version)).sort()).toEqual(['evaluation.json', 'metadata.json', 'model.json', 'weights.bin']);
    const onDisk: unknown = JSON.parse(readFileSync(join(versionDir(jobRegistry, version), EVALUATION_FILE), 'utf8'));
    expect(ModelEvaluation.safeParse(onDisk).success).toBe(true);

    const evaluation = (await jobRegistry.readEvaluation(version))!;
    const entry = (await jobRegistry.readIndex('churn')).versions.find((v) => v.version === version)!;
    expect(evaluation).toEqual(onDisk);
    expect(evaluation).toMatchObject({ schemaVersion: 1, version, model: 'churn', createdAt: entry.createdAt });
    expect(evaluation.metrics).toEqual(entry.metrics);
    expect(evaluation.metrics).toEqual(report.metrics);
    expect(evaluation.holdout).toEqual({
      cutoff: entry.evalCutoff,
      horizonDays: 90,
      customers: report.data.holdoutRows,
      positives: Math.round(report.data.holdoutPositiveRate * report.data.holdoutRows),
    });
    expect(evaluation.baselines.map((b) => b.name)).toEqual(['recency', 'logisticRfm', 'bgnbd']);
    for (const b of evaluation.baselines) {
      expect(b.label).toBe(BASELINE_LABELS[b.name]);
      expect(b.metrics).toEqual(report.baselines[b.name]);
    }
  });

  it('has curves, calibration, lift and importances that agree with the holdout', async () => {
    const e = (await jobRegistry.readEvaluation(job.versions.churn!))!;
    const { customers, positives } = e.holdout;

    expect(e.roc.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    expect(e.roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(e.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(Math.abs(trapezoid(e.roc) - e.metrics.rocAuc)).toBeLessThan(0.01);
    expect(e.pr.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    e.pr.slice(1).forEach((p, i) => expect(p.recall).toBeGreaterThanOrEqual(e.pr[i]!.recall));
    expect(e.pr.at(-1)).toMatchObject({ recall: 1, precision: positives / customers });

    expect(e.calibration).toHaveLength(10);
    expect(e.calibration.reduce((a, b) => a + b.count, 0)).toBe(customers);
    expect(e.lift.map((d) => d.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(e.lift.reduce((a, d) => a + d.count, 0)).toBe(customers);
    expect(e.lift.reduce((a, d) => a + d.positives, 0)).toBe(positives);
    expect(e.lift.at(-1)!.cumulativeGain).toBeCloseTo(1, 12);

    expect(e.featureImportance).toHaveLength(TOP_FEATURES);
    const importances = e.featureImportance.map((f) => f.importance);
    expect(importances).toEqual([...importances].sort((a, b) => b - a));
    expect(importances[0]).toBeGreaterThan(0);
    for (const f of e.featureImportance) {
      const spec = FEATURES.find((s) => s.name === f.feature);
      expect(spec?.description).toBe(f.description);
      // No web or email events in CDNOW: those columns are constant, and shuffling them cannot matter.
      if (spec?.group !== 'orders') expect(f.importance).toBe(0);
    }
  });

  it('is null for CLV versions', async () => {
    expect(await jobRegistry.readEvaluation(job.versions.clv)).toBeNull();
  });
});

describe('registerTrained and readEvaluation', () => {
  it('writes the same report bytes for the same version, in any registry, and keeps it on re-registration', async () => {
    const labels = holdout.map((r) => r.label as number);
    const recency = recencyBaseline(train, holdout, 'churn');
    const baselines = { recency: { metrics: binaryMetrics(labels, recency.probs, recency.scores) } };
    const at = new Date('2026-11-23T11:00:00Z');
    const a = tempRegistry();
    const b = tempRegistry();
    const first = await a.registerTrained({ model, provenance, holdout, createdAt: at, baselines });
    const bytes = readFileSync(join(versionDir(a, first.version), EVALUATION_FILE));
    const again = await a.registerTrained({ model, provenance, holdout, createdAt: at, baselines });
    const elsewhere = await b.registerTrained({ model, provenance, holdout, createdAt: at, baselines });

    expect(again.version).toBe(first.version);
    expect(elsewhere.version).toBe(first.version);
    expect(readFileSync(join(versionDir(a, first.version), EVALUATION_FILE))).toEqual(bytes);
    expect(readFileSync(join(versionDir(b, first.version), EVALUATION_FILE))).toEqual(bytes);
    const e = (await a.readEvaluation(first.version))!;
    expect(e.baselines).toEqual([{ name: 'recency', label: BASELINE_LABELS.recency, metrics: baselines.recency.metrics }]);
    expect(e.metrics).toEqual(first.metrics);
  });

  it('records no baselines when none are given', async () => {
    const registry = tempRegistry();
    const { version } = await registry.registerTrained({ model, provenance, holdout, createdAt: new Date('2026-11-23T12:00:00Z') });
    expect((await registry.readEvaluation(version))?.baselines).toEqual([]);
  });

  it('returns null for a version without a report, and refuses a corrupt or foreign one', async () => {
    const registry = tempRegistry();
    const { version } = await registry.registerTrained({ model, provenance, holdout, createdAt: new Date('2026-11-23T13:00:00Z') });
    const file = join(versionDir(registry, version), EVALUATION_FILE);
    const good = JSON.parse(readFileSync(file, 'utf8')) as ModelEvaluation;

    writeFileSync(file, '{ not json');
    await expect(registry.readEvaluation(version)).rejects.toBeInstanceOf(RegistryFormatError);
    writeFileSync(file, JSON.stringify({ ...good, lift: good.lift.slice(0, 9) }));
    await expect(registry.readEvaluation(version)).rejects.toThrow(/lift/);
    writeFileSync(file, JSON.stringify({ ...good, roc: [...good.roc, ...good.roc] }));
    await expect(registry.readEvaluation(version)).rejects.toBeInstanceOf(RegistryFormatError);
    writeFileSync(file, JSON.stringify({ ...good, version: 'churn-20200101T000000Z-abcdef' }));
    await expect(registry.readEvaluation(version)).rejects.toThrow(/describes churn-20200101T000000Z-abcdef/);

    // A version registered before reports were kept has no file.
    unlinkSync(file);
    expect(await registry.readEvaluation(version)).toBeNull();
    expect(await registry.readEvaluation('churn-20990101T000000Z-abcdef')).toBeNull();
  });
});

describe('permutation importance', () => {
  const rows = () => holdout.map((r) => r.features);
  const labels = () => holdout.map((r) => r.label as number);

  it('is deterministic for a seed, and the dense fast path agrees with full TF.js passes', () => {
    const fast = permutationImportance(model, rows(), labels(), { seed: 3, repeats: 2 });
    expect(permutationImportance(model, rows(), labels(), { seed: 3, repeats: 2 })).toEqual(fast);
    const viaTf = permutationImportance(model, rows(), labels(), { seed: 3, repeats: 2, engine: 'tf' });
    expect(viaTf.map((f) => f.feature).slice(0, 5)).toEqual(fast.map((f) => f.feature).slice(0, 5));
    for (const f of fast) expect(viaTf.find((g) => g.feature === f.feature)!.importance).toBeCloseTo(f.importance, 6);
    expect(fast).toHaveLength(FEATURES.length);
  });

  it('measures the AUC lost by shuffling: a feature the ranking leans on loses the most', () => {
    const all = permutationImportance(model, rows(), labels(), { seed: 3, repeats: 3 });
    const top = all[0]!;
    expect(top.importance).toBeGreaterThan(0.01);
    expect(FEATURES.find((s) => s.name === top.feature)?.group).toBe('orders');
    expect(all.find((f) => f.feature === 'emails_opened_30d')?.importance).toBe(0);
    // A sample of the rows is used when there are more than maxRows: still seeded, still the same answer twice.
    const sampled = permutationImportance(model, rows(), labels(), { seed: 3, repeats: 1, maxRows: 120 });
    expect(permutationImportance(model, rows(), labels(), { seed: 3, repeats: 1, maxRows: 120 })).toEqual(sampled);
    expect(sampled).not.toEqual(permutationImportance(model, rows(), labels(), { seed: 3, repeats: 1 }));
  });
});
