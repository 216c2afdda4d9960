import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recencyBaseline } from '../../models/baselines.js';
import { disposeModel, trainModel, type TrainedModel } from '../../models/churn-model.js';
import { binaryMetrics } from '../../models/evaluate.js';
import { buildTrainingSet, type LabelledRow } from '../../models/labels.js';
import { fitClvModel } from '../../models/registry/clv-model.js';
import { BASELINE_LABELS } from '../../models/registry/evaluation.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { ModelRegistry } from '../../models/registry/registry.js';
import { ModelEvaluation } from '../../models/registry/schema.js';
import { initBackend } from '../../models/tf/backend.js';
import { winback, type CliResult } from '../helpers/cli.js';
import { cdnowProvenance, cdnowSlice, FAST_TRAINING } from './fixtures.js';

/** `winback model list | show | promote | rollback` on a registry in <data-dir>/models (no stack needed). */
const dataDir = mkdtempSync(join(tmpdir(), 'winback-model-cli-'));
const registry = new ModelRegistry(new FileModelStore(join(dataDir, 'models')));
const evalCutoff = new Date('1997-10-01T00:00:00Z');
let model: TrainedModel;
let holdout: LabelledRow[];
const versions: string[] = [];
let clvVersion: string;

const cli = (...args: string[]): Promise<CliResult> => winback(...args, '--data-dir', dataDir);

beforeAll(async () => {
  delete process.env['MODEL_REGISTRY_URI'];
  await initBackend();
  const population = cdnowSlice(300);
  const train = buildTrainingSet(population, ['1997-05-01', '1997-06-01', '1997-07-01'].map((d) => new Date(`${d}T00:00:00Z`)), 90, { evalCutoff });
  holdout = buildTrainingSet(population, [evalCutoff], 90);
  model = await trainModel(train, 'churn', { seed: 11, ...FAST_TRAINING });
  const provenance = cdnowProvenance({ trainCutoffs: [], evalCutoff, seed: 11 });
  // The second version carries a baseline, as the training job's do.
  const labels = holdout.map((r) => r.label as number);
  const recency = recencyBaseline(train, holdout, 'churn');
  const baselines = { recency: { metrics: binaryMetrics(labels, recency.probs, recency.scores) } };
  for (const minute of [1, 2]) {
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, minute));
    versions.push((await registry.registerTrained({ model, provenance, holdout, createdAt, ...(minute === 2 ? { baselines } : {}) })).version);
  }
  clvVersion = (await registry.registerClv({ clv: fitClvModel(population, evalCutoff), createdAt: new Date(Date.UTC(2026, 0, 1, 0, 3)) })).version;
});

afterAll(() => {
  disposeModel(model);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('winback model', () => {
  it('lists versions with status and reasons, as text and JSON', async () => {
    const text = await cli('model', 'list');
    expect(text.code).toBe(0);
    expect(text.out).toContain(`churn: champion ${versions[0]}`);
    expect(text.out).toMatch(/challenger .*ROC-AUC/);
    const json = await cli('model', 'list', '--model', 'churn', '--json');
    const body = JSON.parse(json.out) as { models: Array<{ champion: string; versions: Array<{ status: string }> }> };
    // The shape scripts rely on: the registry URI and the indexes as stored, nothing added.
    expect(Object.keys(body)).toEqual(['registry', 'models']);
    expect(body.models[0]).toEqual(await registry.readIndex('churn'));
    expect(body.models[0]?.champion).toBe(versions[0]);
    expect(body.models[0]?.versions.map((v) => v.status)).toEqual(['champion', 'challenger']);
  });

  it('shows one version as JSON: its registry entry and its evaluation report, as stored', async () => {
    const shown = await cli('model', 'show', versions[1]!, '--json');
    expect(shown.code).toBe(0);
    const body = JSON.parse(shown.out) as { entry: unknown; evaluation: unknown };
    expect(Object.keys(body)).toEqual(['entry', 'evaluation']);
    const index = await registry.readIndex('churn');
    expect(body.entry).toEqual(index.versions.find((v) => v.version === versions[1]));
    expect(body.evaluation).toEqual(await registry.readEvaluation(versions[1]!));
    const evaluation = ModelEvaluation.parse(body.evaluation);
    expect(evaluation.metrics).toEqual(index.versions[1]?.metrics);
    expect(evaluation.baselines.map((b) => b.name)).toEqual(['recency']);

    const clv = JSON.parse((await cli('model', 'show', clvVersion, '--json')).out) as { entry: { model: string }; evaluation: unknown };
    expect(clv).toMatchObject({ entry: { model: 'clv' }, evaluation: null });
  });

  it('shows one version as text: status, metrics against baselines, calibration, lift, top features', async () => {
    const { code, out } = await cli('model', 'show', versions[1]!);
    expect(code).toBe(0);
    const evaluation = (await registry.readEvaluation(versions[1]!))!;
    const lines = out.split('\n');
    expect(lines[0]).toBe(`${versions[1]}  challenger`);
    expect(lines.find((l) => l.startsWith('this model (churn)'))).toContain(evaluation.metrics.rocAuc.toFixed(4));
    expect(lines.find((l) => l.startsWith(BASELINE_LABELS.recency))).toContain(evaluation.baselines[0]!.metrics.rocAuc.toFixed(4));
    expect(out).toMatch(/^calibration/m);
    expect(lines.filter((l) => /^\s+\d+\s+\d+\s+\d+\s/.test(l))).toHaveLength(10); // ten deciles
    const top = evaluation.featureImportance[0]!;
    expect(lines).toContain(`  1. ${top.feature.padEnd(28)} ${top.importance.toFixed(4).padStart(8)}  ${top.description}`);
    // The champion is marked live; a version without baselines says so instead of an empty table.
    const champion = await cli('model', 'show', versions[0]!);
    expect(champion.out.split('\n')[0]).toBe(`${versions[0]}  champion (live)`);
    expect(champion.out).toContain('(no baselines were recorded for this version)');
  });

  it('refuses to show what is not there', async () => {
    expect((await cli('model', 'show')).code).toBe(2);
    const unknown = await cli('model', 'show', 'churn-20990101T000000Z-000000');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/not registered/);
    expect((await cli('model', 'show', 'not-a-version')).code).toBe(1);
  });

  it('promotes by hand with a reason, rolls back, and refuses what it cannot do', async () => {
    expect((await cli('model', 'promote', versions[1]!, '--reason', 'reviewed')).code).toBe(0);
    expect((await registry.readIndex('churn')).champion).toBe(versions[1]);
    const rolled = await cli('model', 'rollback');
    expect(rolled.out).toBe(`churn champion rolled back from ${versions[1]} to ${versions[0]}`);
    expect((await registry.readIndex('churn')).history.at(-1)?.reason).toBe('rollback: rolled back by hand');
    const nothing = await cli('model', 'rollback');
    expect(nothing.code).toBe(1);
    expect(nothing.err).toMatch(/nothing to roll back to/);
    expect((await cli('model', 'promote')).code).toBe(2);
    expect((await cli('model', 'rollback', '--model', 'nope')).code).toBe(2);
    expect((await cli('model', 'promote', 'churn-20990101T000000Z-000000')).code).toBe(1);
  });
});
