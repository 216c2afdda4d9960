import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * One simulated population, trained and scored, shared by the end-to-end tests that need a
 * trained store (DEMO_DATA_USERS): simulating, training and scoring it takes a minute, so it is
 * built once per test run, in a child process (one stack per process), into the run's fixtures
 * folder (global-setup.ts, which starts the build early when a user is among the files to run).
 * Each test copies the data dir into its own before starting its stack (copyDemoData).
 */
export const DEMO_DATA = {
  customers: 600,
  days: 240,
  seed: 5,
  start: '2026-01-05',
  /** Two scoring runs with the first models, so that score crossings and a trend exist. */
  scores: ['2026-09-02', '2026-09-16'],
  /** Then a second training: every model has a second version, champion or challenger. */
  retrainSeed: 7,
} as const;

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

/** The test files that copy the demo data. */
export const DEMO_DATA_USERS = ['test/campaigns/acceptance.test.ts', 'test/console/console.test.ts'] as const;

/** The `winback` commands that build the demo data dir, in order (each gets --data-dir). */
const COMMANDS: readonly string[][] = [
  ['simulate', '--direct', '--customers', String(DEMO_DATA.customers), '--days', String(DEMO_DATA.days), '--seed', String(DEMO_DATA.seed), '--start', DEMO_DATA.start],
  ['train'],
  ...DEMO_DATA.scores.map((at) => ['score', '--at', at]),
  ['train', '--seed', String(DEMO_DATA.retrainSeed)],
];

const BUILD_TIMEOUT_MS = 300_000;

const paths = (root: string) => ({
  dir: join(root, 'demo-data'),
  lock: join(root, 'demo-data.lock'),
  building: join(root, 'demo-data.building'),
  failed: join(root, 'demo-data.failed'),
});

/**
 * The built demo data dir under `root`: built here if nobody has started to (mkdir of the lock is
 * atomic across processes), else waited for.
 */
export async function demoDataDir(root: string): Promise<string> {
  return (await buildDemoData(root)) ?? waitForDemoData(root);
}

/** Builds the demo data dir under `root` unless another process has claimed it (then undefined). */
export async function buildDemoData(root: string, signal?: AbortSignal): Promise<string | undefined> {
  const p = paths(root);
  try {
    mkdirSync(p.lock);
  } catch {
    return undefined;
  }
  try {
    const script = join(PROJECT_ROOT, 'test/helpers/build-demo-data.ts');
    await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'scripts/bin/run.mjs'), script, p.building, JSON.stringify(COMMANDS)], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: BUILD_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    renameSync(p.building, p.dir);
    return p.dir;
  } catch (err) {
    const e = err as { message?: string; stderr?: string };
    const why = `building the demo data failed: ${e.message ?? String(err)}\n${(e.stderr ?? '').slice(-3000)}`;
    writeFileSync(p.failed, why);
    throw new Error(why);
  }
}

async function waitForDemoData(root: string): Promise<string> {
  const p = paths(root);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!existsSync(p.dir)) {
    if (existsSync(p.failed)) throw new Error(readFileSync(p.failed, 'utf8'));
    if (Date.now() > deadline) throw new Error(`the demo data was not built within ${BUILD_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return p.dir;
}
