import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, predictProba, trainModel, type TrainedModel } from '../../models/churn-model.js';
import { rocAuc } from '../../models/evaluate.js';
import { buildTrainingSet, type LabelledRow } from '../../models/labels.js';
import { deserializeModel, serializeModel, type ModelProvenance } from '../../models/model-io.js';
import { fitClvModel } from '../../models/registry/clv-model.js';
import { InvalidStoreKeyError, NothingToRollBackError, RegistryUriError, VersionNotFoundError } from '../../models/registry/errors.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { parseRegistryUri } from '../../models/registry/open-store.js';
import { modelOfVersion, versionId } from '../../models/registry/version-id.js';
import { initBackend } from '../../models/tf/backend.js';
import { useTempDirs, useTempRegistries } from '../helpers/temp-dirs.js';
import { cdnowProvenance, cdnowSlice, FAST_TRAINING } from './fixtures.js';

const population = cdnowSlice(500);
const evalCutoff = new Date('1997-10-01T00:00:00Z');
const trainCutoffs = ['1997-04-01', '1997-05-01', '1997-06-01', '1997-07-01'].map((d) => new Date(`${d}T00:00:00Z`));
let train: LabelledRow[];
let holdout: LabelledRow[];
let good: TrainedModel;
let bad: TrainedModel;
const tempDir = useTempDirs();
const tempRegistry = useTempRegistries();

const provenance = (metrics: Record<string, number> = {}): ModelProvenance => cdnowProvenance({ trainCutoffs, evalCutoff, seed: 7, metrics });


/** A copy of the model with its output layer negated: the ranking is reversed, so ROC-AUC becomes 1 - AUC. */
async function inverted(model: TrainedModel): Promise<TrainedModel> {
  const { model: copy } = await deserializeModel(await serializeModel(model, provenance()));
  const weights = copy.network.getWeights();
  copy.network.setWeights(weights.map((w, i) => (i >= weights.length - 2 ? tf.neg(w) : w)));
  return copy;
}

beforeAll(async () => {
  await initBackend();
  train = buildTrainingSet(population, trainCutoffs, 90, { evalCutoff });
  holdout = buildTrainingSet(population, [evalCutoff], 90);
  good = await trainModel(train, 'churn', { seed: 7, ...FAST_TRAINING });
  bad = await inverted(good);
});

afterAll(() => {
  disposeModel(good);
  disposeModel(bad);
});

describe('registry round trip', () => {
  it('saves a version with its files, lists it, and loads it back predicting identically', async () => {
    // Prepare
    const registry = tempRegistry();
    const features = holdout.map((r) => r.features);

    // Act
    const result = await registry.registerTrained({ model: good, provenance: provenance(), holdout, createdAt: new Date('2026-11-23T10:15:00Z') });
    const [churnIndex] = await registry.list();
    const loaded = await registry.loadTrained(result.version);

    // Assess
    expect(result.version).toMatch(/^churn-20261123T101500Z-[0-9a-f]{6}$/);
    expect(result.decision).toBe('promoted');
    expect(churnIndex?.champion).toBe(result.version);
    expect(churnIndex?.versions.map((v) => v.version)).toEqual([result.version]);
    const files = readdirSync(join(registry.store.uri.slice('file://'.length), 'churn', result.version)).sort();
    expect(files).toEqual(['evaluation.json', 'metadata.json', 'model.json', 'weights.bin']);
    expect(loaded.metadata.provenance.evalCutoff).toBe(evalCutoff.toISOString());
    expect(loaded.metadata.dataHash).toBe(good.dataHash);
    expect(loaded.metadata.featureVersion).toBe(good.featureVersion);
    expect(predictProba(loaded.model, features)).toEqual(predictProba(good, features));
    // The index carries the holdout metrics measured at registration.
    const labels = holdout.map((r) => r.label as number);
    expect(churnIndex?.versions[0]?.metrics['rocAuc']).toBeCloseTo(rocAuc(labels, predictProba(good, features)), 12);
    disposeModel(loaded.model);
  });

  it('registering the same files at the same time again converges to the same version', async () => {
    const registry = tempRegistry();
    const at = new Date('2026-11-23T10:15:00Z');
    const a = await registry.registerTrained({ model: good, provenance: provenance(), holdout, createdAt: at });
    const b = await registry.registerTrained({ model: good, provenance: provenance(), holdout, createdAt: at });
    expect(b.version).toBe(a.version);
    expect((await registry.readIndex('churn')).versions).toHaveLength(1);
  });

  it('stores the CLV fit as a registry entry and reads it back', async () => {
    const registry = tempRegistry();
    const clv = fitClvModel(population, evalCutoff);
    const result = await registry.registerClv({ clv, createdAt: new Date('2026-11-23T10:16:00Z') });
    expect(result.decision).toBe('promoted');
    expect(await registry.loadClv(result.version)).toEqual(clv);
    expect(clv.tierThresholds.diamond).toBeGreaterThanOrEqual(clv.tierThresholds.gold);
    expect(clv.tierThresholds.gold).toBeGreaterThanOrEqual(clv.tierThresholds.silver);
    expect(typeof clv.bgnbd.degenerate).toBe('boolean');
    expect(await registry.champion('clv')).toBe(result.version);
    // The same fit registered again later is not a new version.
    const again = await registry.registerClv({ clv, createdAt: new Date('2026-11-24T10:16:00Z') });
    expect(again).toMatchObject({ version: result.version, decision: 'promoted' });
    expect((await registry.readIndex('clv')).versions).toHaveLength(1);
  });
});

describe('champion / challenger', () => {
  it('promotes a better model, keeps a worse or equal one as challenger with the reason, and rolls back', async () => {
    // Prepare
    const registry = tempRegistry();
    const labels = holdout.map((r) => r.label as number);
    const goodAuc = rocAuc(labels, predictProba(good, holdout.map((r) => r.features)));
    const badAuc = rocAuc(labels, predictProba(bad, holdout.map((r) => r.features)));
    expect(goodAuc).toBeGreaterThan(0.6);
    expect(badAuc).toBeCloseTo(1 - goodAuc, 6);
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 10, minute));

    // Act
    const first = await registry.registerTrained({ model: bad, provenance: provenance(), holdout, createdAt: at(1) });
    const better = await registry.registerTrained({ model: good, provenance: provenance(), holdout, createdAt: at(2) });
    const worse = await registry.registerTrained({ model: bad, provenance: provenance(), holdout, createdAt: at(3) });
    const tie = await registry.registerTrained({ model: good, provenance: provenance(), holdout, createdAt: at(4) });

    // Assess
    expect(first.decision).toBe('promoted');
    expect(first.reason).toMatch(/no champion yet/);
    expect(better.decision).toBe('promoted');
    expect(better.reason).toContain(`beats champion ${first.version}`);
    expect(better.championMetrics?.rocAuc).toBeCloseTo(badAuc, 9);
    expect(worse.decision).toBe('challenger');
    expect(worse.reason).toContain(`is below champion ${better.version}`);
    expect(tie.decision).toBe('challenger');
    expect(tie.reason).toMatch(/ties champion .*ties keep the champion/);
    let index = await registry.readIndex('churn');
    expect(index.champion).toBe(better.version);
    expect(index.versions.find((v) => v.version === first.version)?.status).toBe('retired');
    expect(index.versions.find((v) => v.version === worse.version)).toMatchObject({ status: 'challenger', comparedWith: { version: better.version } });
    expect(index.history.map((h) => h.action)).toEqual(['promoted', 'promoted', 'kept-challenger', 'kept-challenger']);

    // Act: rollback restores the previous champion; there is nothing before it
    const rolled = await registry.rollback('churn', 'bad deploy', at(5));
    index = await registry.readIndex('churn');
    expect(rolled).toMatchObject({ from: better.version, to: first.version });
    expect(index.champion).toBe(first.version);
    expect(index.versions.find((v) => v.version === better.version)?.status).toBe('rolled-back');
    await expect(registry.rollback('churn', 'again', at(6))).rejects.toBeInstanceOf(NothingToRollBackError);

    // Act: a manual promotion of a challenger, then a rollback goes back to where it was
    await registry.promote(tie.version, 'reviewed by hand', at(7));
    expect((await registry.readIndex('churn')).champion).toBe(tie.version);
    expect((await registry.rollback('churn', 'undo', at(8))).to).toBe(first.version);
    await expect(registry.promote('churn-20990101T000000Z-abcdef', 'x', at(9))).rejects.toBeInstanceOf(VersionNotFoundError);
  });
});

describe('version ids and locations', () => {
  it('sort by time and name their model', () => {
    const a = versionId('propensity', new Date('2026-01-02T03:04:05.678Z'), 'abcdef0123');
    const b = versionId('propensity', new Date('2026-01-02T03:04:06Z'), '000000');
    expect(a).toBe('propensity-20260102T030405Z-abcdef');
    expect([b, a].sort()).toEqual([a, b]);
    expect(modelOfVersion(a)).toBe('propensity');
    expect(() => modelOfVersion('churn-latest')).toThrow(VersionNotFoundError);
  });

  it('parses file:// and s3:// registry URIs and refuses others', () => {
    expect(parseRegistryUri('file:///tmp/models')).toEqual({ kind: 'file', dir: '/tmp/models' });
    expect(parseRegistryUri('s3://my-bucket/winback/models/')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: 'winback/models' });
    expect(parseRegistryUri('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(() => parseRegistryUri('http://example.com/models')).toThrow(RegistryUriError);
  });

  it('keeps keys inside the store', async () => {
    const store = new FileModelStore(tempDir('winback-store-'));
    await expect(store.write('../escape.json', '{}')).rejects.toBeInstanceOf(InvalidStoreKeyError);
    await store.write('churn/registry.json', '{"a":1}');
    expect(new TextDecoder().decode(await store.read('churn/registry.json'))).toBe('{"a":1}');
    expect(await store.read('churn/missing.json')).toBeUndefined();
    expect(await store.list('churn/')).toEqual(['churn/registry.json']);
  });
});
