import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, trainModel, type TrainedModel } from '../../models/churn-model.js';
import { buildTrainingSet, type LabelledRow } from '../../models/labels.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { ModelRegistry } from '../../models/registry/registry.js';
import { initBackend } from '../../models/tf/backend.js';
import { runCli } from '../../scripts/cli/main.js';
import { cdnowSlice, FAST_TRAINING } from './fixtures.js';

/** `winback model list | promote | rollback` on a registry in <data-dir>/models (no stack needed). */
const dataDir = mkdtempSync(join(tmpdir(), 'winback-model-cli-'));
const registry = new ModelRegistry(new FileModelStore(join(dataDir, 'models')));
const evalCutoff = new Date('1997-10-01T00:00:00Z');
let model: TrainedModel;
let holdout: LabelledRow[];
const versions: string[] = [];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--data-dir', dataDir], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  delete process.env['MODEL_REGISTRY_URI'];
  await initBackend();
  const population = cdnowSlice(300);
  const train = buildTrainingSet(population, ['1997-05-01', '1997-06-01', '1997-07-01'].map((d) => new Date(`${d}T00:00:00Z`)), 90, { evalCutoff });
  holdout = buildTrainingSet(population, [evalCutoff], 90);
  model = await trainModel(train, 'churn', { seed: 11, ...FAST_TRAINING });
  const provenance = {
    trainCutoffs: [],
    evalCutoff: evalCutoff.toISOString(),
    horizonDays: 90,
    trainHorizonDays: 90,
    trainingWindow: { from: '1997-01-01T00:00:00.000Z', to: '1997-09-29T00:00:00.000Z' },
    metrics: {},
    backend: 'test',
    seed: 11,
  };
  for (const minute of [1, 2]) {
    versions.push((await registry.registerTrained({ model, provenance, holdout, createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute)) })).version);
  }
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
    expect(body.models[0]?.champion).toBe(versions[0]);
    expect(body.models[0]?.versions.map((v) => v.status)).toEqual(['champion', 'challenger']);
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
