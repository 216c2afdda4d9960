import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { winback, winbackJson } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { syntheticExperiment } from '../models/uplift-fixtures.js';

interface EvaluateJson {
  ate: number;
  ateCi: [number, number];
  experiment: { rows: number; treated: number; control: number; features: string[]; outcomeType: string };
  model: { kind: string; holdout: { n: number; ate: number; upliftAtK: Record<'0.1' | '0.2' | '0.3' | '0.5', number>; qini: number } };
  models: Array<{ kind: string; holdout: { qini: number } }>;
  registered?: Array<{ kind: string; version: string; decision: string }>;
}

const tempDir = useTempDirs();
const { csv, trueAte, trueSpendAte } = syntheticExperiment(4000, 3);
const dir = tempDir('winback-uplift-');
const file = join(dir, 'experiment.csv');
writeFileSync(file, csv);
const columns = ['--csv', file, '--treatment-column', 'arm', '--treatment', 'Email, v1', '--control', 'None'];

describe('winback uplift evaluate on a generated randomized experiment with a known effect', () => {
  it('prints the ATE with a 95% CI covering the truth, and a held-out model that beats random targeting', async () => {
    const r = await winbackJson<EvaluateJson>('uplift', 'evaluate', ...columns, '--outcome', 'visit', '--ignore', 'id,spend', '--seed', '1', '--data-dir', tempDir());
    expect(r.experiment).toMatchObject({ rows: 4000, outcomeType: 'binary' });
    expect(r.experiment.treated + r.experiment.control).toBe(4000);
    // The quoted header "recency, days" is one column; segment is one-hot encoded; id and spend are ignored.
    expect(r.experiment.features).toEqual(['age', 'segment=a', 'segment=b', 'segment=c', 'recency, days']);
    // True ATE of this sample: about 0.058 (a third of rows −0.05, persuadables +0.25, the rest +0.02).
    expect(trueAte).toBeGreaterThan(0.05);
    expect(r.ateCi[0]).toBeLessThan(trueAte);
    expect(r.ateCi[1]).toBeGreaterThan(trueAte);
    expect(r.ate).toBeGreaterThan(r.ateCi[0]);
    expect(r.ate).toBeLessThan(r.ateCi[1]);
    expect(Math.abs(r.model.holdout.n - 2000)).toBeLessThanOrEqual(1); // half of each arm, rounded
    expect(Object.keys(r.model.holdout.upliftAtK)).toEqual(['0.1', '0.2', '0.3', '0.5']);
    // Random targeting gains the holdout ATE at every k and a Qini of 0 in expectation; the
    // persuadables (about 27 % of rows, +0.25) let a model's top 30 % do far better.
    expect(r.model.holdout.upliftAtK['0.3']).toBeGreaterThan(r.model.holdout.ate + 0.05);
    expect(r.model.holdout.qini).toBeGreaterThan(0.05);
    expect(r.models.map((m) => m.kind).sort()).toEqual(['class-transformation', 'two-model']);
  });

  it('handles an amount outcome with the transformed-outcome model and writes the curves as SVG', async () => {
    const plots = tempDir('winback-uplift-plots-');
    const r = await winbackJson<EvaluateJson>('uplift', 'evaluate', ...columns, '--outcome', 'spend', '--ignore', 'id,visit', '--plot', plots, '--data-dir', tempDir());
    expect(r.experiment.outcomeType).toBe('amount');
    expect(r.models.map((m) => m.kind).sort()).toEqual(['transformed-outcome', 'two-model']);
    expect(r.ateCi[0]).toBeLessThan(trueSpendAte);
    expect(r.ateCi[1]).toBeGreaterThan(trueSpendAte);
    for (const kind of ['two-model', 'transformed-outcome']) {
      for (const curve of ['qini', 'uplift']) {
        const svg = readFileSync(join(plots, `${curve}-${kind}.svg`), 'utf8');
        expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
        expect(svg).toContain('random');
        expect(svg.match(/<path /g)?.length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('keeps an imported experiment, evaluates it by name and registers its models (champion, then challenger or promotion by Qini)', async () => {
    const dataDir = tempDir();
    const imported = await winbackJson<{ name: string; rows: number; unchanged: boolean }>('import', 'experiment', ...columns, '--outcome', 'visit', '--ignore', 'id,spend', '--name', 'email-test', '--data-dir', dataDir);
    expect(imported).toMatchObject({ name: 'email-test', rows: 4000, unchanged: false });
    expect(existsSync(join(dataDir, 'experiments', 'email-test.csv'))).toBe(true);
    const again = await winbackJson<{ unchanged: boolean }>('import', 'experiment', ...columns, '--outcome', 'visit', '--ignore', 'id,spend', '--name', 'email-test', '--data-dir', dataDir);
    expect(again.unchanged).toBe(true);

    const r = await winbackJson<EvaluateJson>('uplift', 'evaluate', '--experiment', 'email-test', '--register', '--data-dir', dataDir);
    expect(r.registered).toHaveLength(2);
    // The first registered is the first champion; the second is judged against it on the same holdout.
    expect(r.registered![0]!.decision).toBe('promoted');
    const list = await winbackJson<{ models: Array<{ model: string; champion: string | null; versions: Array<{ version: string; metrics: Record<string, number>; comparedWith?: { version: string } }> }> }>('model', 'list', '--model', 'uplift', '--data-dir', dataDir);
    const index = list.models[0]!;
    expect(index.model).toBe('uplift');
    expect(index.versions).toHaveLength(2);
    expect(index.versions[1]!.comparedWith?.version).toBe(r.registered![0]!.version);
    const best = [...r.models].sort((a, b) => b.holdout.qini - a.holdout.qini)[0]!;
    const champion = index.versions.find((v) => v.version === index.champion)!;
    expect(champion.metrics['qini']).toBeCloseTo(best.holdout.qini, 10);
  });

  it('names the problem: a missing column, an unknown arm, a bad holdout fraction', async () => {
    const missing = await winback('uplift', 'evaluate', ...columns, '--outcome', 'visits', '--data-dir', tempDir());
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("outcome column 'visits' is not in the header");
    const arm = await winback('uplift', 'evaluate', ...columns.slice(0, -1), 'Nobody', '--outcome', 'visit', '--data-dir', tempDir());
    expect(arm.err).toContain("no row has arm = 'Nobody'");
    const fraction = await winback('uplift', 'evaluate', ...columns, '--outcome', 'visit', '--holdout-fraction', '1.5', '--data-dir', tempDir());
    expect(fraction.code).toBe(2);
    expect(fraction.err).toContain('--holdout-fraction must be a number in (0, 1)');
    const small = join(dir, 'small.csv');
    writeFileSync(small, syntheticExperiment(60, 4).csv);
    const tooSmall = await winback('uplift', 'evaluate', '--csv', small, ...columns.slice(2), '--outcome', 'visit', '--ignore', 'id,spend', '--data-dir', tempDir());
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.err).toMatch(/the selection split has \d+ treated and \d+ control rows; each arm needs 10/);
  });
});
