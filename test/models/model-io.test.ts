import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeModel, predictProba, trainModel } from '../../models/churn-model.js';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../models/features.js';
import { buildTrainingSet } from '../../models/labels.js';
import {
  deserializeModel,
  loadModel,
  METADATA_FILE,
  MODEL_FILE,
  ModelFormatError,
  saveModel,
  serializeModel,
  WEIGHTS_FILE,
  type ModelProvenance,
} from '../../models/model-io.js';
import { initBackend } from '../../models/tf/backend.js';
import { simulatePopulation } from './model-fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const provenance: ModelProvenance = {
  trainCutoffs: ['2020-06-01T00:00:00.000Z'],
  evalCutoff: '2020-12-01T00:00:00.000Z',
  horizonDays: 90,
  trainHorizonDays: 90,
  trainingWindow: { from: '2020-01-01T00:00:00.000Z', to: '2020-08-30T00:00:00.000Z' },
  metrics: { rocAuc: 0.8 },
  backend: 'wasm',
  seed: 9,
};

describe('model io', () => {
  it('saves model.json + weights.bin + metadata.json and reloads a model that predicts identically', async () => {
    // Prepare
    const backend = await initBackend();
    const population = simulatePopulation({ customers: 300, days: 400, seed: 5 });
    const rows = buildTrainingSet(population, [new Date('2020-06-01T00:00:00Z')], 90);
    const holdout = buildTrainingSet(population, [new Date('2020-12-01T00:00:00Z')], 90).map((r) => r.features);
    const model = await trainModel(rows, 'churn', { seed: 9, maxEpochs: 5 });
    const dir = await mkdtemp(join(tmpdir(), 'winback-model-'));
    dirs.push(dir);

    // Act
    await saveModel(dir, model, { ...provenance, backend: backend.name });
    const { model: loaded, metadata } = await loadModel(dir);

    // Assess: identical probabilities, bit for bit.
    expect(predictProba(loaded, holdout)).toEqual(predictProba(model, holdout));
    const modelJson = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual([`./${WEIGHTS_FILE}`]);
    expect((await readFile(join(dir, WEIGHTS_FILE))).byteLength).toBe(model.network.countParams() * 4);
    expect(metadata).toMatchObject({
      target: 'churn',
      featureVersion: FEATURE_VERSION,
      dataHash: model.dataHash,
      calibration: model.calibration,
      provenance: { evalCutoff: provenance.evalCutoff, backend: backend.name, trainCutoffs: provenance.trainCutoffs },
    });
    expect(metadata.features.map((f) => f.name)).toEqual(FEATURE_NAMES);
    expect(metadata.features.every((f) => f.description.length > 0)).toBe(true);
    expect(metadata.normalisation.mean).toEqual(model.normalisation.mean);
    expect(JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8')).training.trainRows).toBe(model.training.trainRows);
    disposeModel(model);
    disposeModel(loaded);
  });

  it('rejects broken artifacts with a ModelFormatError', async () => {
    await initBackend();
    const population = simulatePopulation({ customers: 120, days: 300, seed: 6 });
    const model = await trainModel(buildTrainingSet(population, [new Date('2020-06-01T00:00:00Z')], 60), 'churn', { seed: 1, maxEpochs: 2 });
    const files = await serializeModel(model, provenance);
    await expect(deserializeModel({ ...files, [METADATA_FILE]: '{not json' })).rejects.toThrow(ModelFormatError);
    await expect(loadModel(join(tmpdir(), 'winback-no-such-model'))).rejects.toThrow(ModelFormatError);
    disposeModel(model);
  });
});
