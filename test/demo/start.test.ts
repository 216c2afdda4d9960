import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartSummary } from '../../scripts/demo/summary.js';
import { spawnWinback, waitForStdout, winback, type CliResult, type EventCounts, type WinbackChild } from '../helpers/cli.js';

/**
 * `winback start` end to end on the real local stack, as child processes (the command owns its
 * process: one stack, process-wide environment): a small population, first run serving, then a
 * second run with --once, then `winback reset`. Queries go through the CLI in this process.
 */
const SMALL = ['--customers', '300', '--days', '200'];
// The deadlines below are generous: a first run takes ~40 s idle, but on two busy cores it shares
// them with another test file and the demo data build (test/helpers/demo-data.ts).

let dataDir: string;
let notADataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'winback-start-'));
  notADataDir = await mkdtemp(path.join(tmpdir(), 'winback-not-data-'));
  await writeFile(path.join(notADataDir, 'precious.txt'), 'keep me');
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(notADataDir, { recursive: true, force: true });
});

/** The --json summary, once stdout holds a whole JSON document. */
const summaryOf = (c: WinbackChild, timeoutMs: number): Promise<StartSummary> =>
  waitForStdout(c, (stdout) => {
    try {
      return JSON.parse(stdout) as StartSummary;
    } catch {
      return undefined;
    }
  }, timeoutMs, 200);

const startChild = (args: string[]): WinbackChild => spawnWinback(['start', '--data-dir', dataDir, ...args]);
const cli = (args: string[]): Promise<CliResult> => winback(...args, '--data-dir', dataDir);

interface ModelList {
  models: Array<{ model: string; champion: string | null; versions: Array<{ version: string }> }>;
}

const NON_EMAIL = ['identify', 'page', 'track', 'order'];
const pick = (m: Record<string, number>, keys: string[]): Record<string, number> => Object.fromEntries(keys.map((k) => [k, m[k] ?? 0]));

describe('winback start', () => {
  let first: StartSummary;
  let countsAfterFirst: EventCounts;
  let modelsAfterFirst: ModelList;

  it('first run: loads the demo population, trains, scores, runs the campaigns, serves; the summary matches the store, registry and inbox', async () => {
    // Prepare
    const c = startChild([...SMALL, '--port', '0', '--clock-speed', '0', '--json']);
    try {
      // Act
      first = await summaryOf(c, 180_000);
      const counts = await cli(['events', 'count', '--json']);
      const models = await cli(['model', 'list', '--json']);
      const overview = await cli(['overview', '--json']);
      const inbox = (await (await fetch(new URL('store', first.urls.inbox))).json()) as { emails: unknown[] };
      const health = await fetch(new URL('/healthz', first.urls.api));
      const refused = await cli(['reset', '--yes']);
      c.child.kill('SIGINT');
      const code = await c.exited;
      countsAfterFirst = JSON.parse(counts.out) as EventCounts;
      modelsAfterFirst = JSON.parse(models.out) as ModelList;
      // Assess
      expect(code).toBe(0);
      expect(health.status).toBe(200);
      expect(first).toMatchObject({ mode: 'serve', firstRun: true, load: { status: 'loaded', customers: 300, days: 200 }, problems: [] });
      if (first.load.status !== 'loaded' || first.models.status !== 'trained' || first.scoring.status !== 'scored' || first.campaigns.status !== 'run') throw new Error('incomplete cycle');
      expect(countsAfterFirst.customers).toBe(300);
      // On top of the loaded population: the orders of the simulated campaign responses.
      const responseOrders = (first.responses?.campaigns ?? []).reduce((a, r) => a + r.orders.treatment + r.orders.holdout, 0);
      expect(first.responses?.campaigns.length).toBeGreaterThan(0);
      const loaded = pick(first.load.events!.byKind, NON_EMAIL);
      expect(pick(countsAfterFirst.byKind, NON_EMAIL)).toEqual({ ...loaded, order: (loaded['order'] ?? 0) + responseOrders });
      // The campaigns' own mail comes back as SES events on top of the simulated newsletter's.
      expect(countsAfterFirst.byKind['email']).toBeGreaterThan(first.load.events!.byKind['email']!);
      const champion = (m: string): string | null | undefined => modelsAfterFirst.models.find((x) => x.model === m)?.champion;
      expect(first.models.churn?.champion).toBe(champion('churn'));
      expect(first.models.propensity?.champion).toBe(champion('propensity'));
      expect(first.models.clv.version).toBe(champion('clv'));
      expect(first.models.churn?.championRocAuc).toBeGreaterThan(0.5);
      expect(first.models.churn?.bestBaseline.rocAuc).toBeGreaterThan(0.5);
      expect(first.scoring.customers).toBe(300);
      expect(Object.values(first.scoring.byTier).reduce((a, b) => a + b, 0)).toBe(300);
      // "At risk" means one thing in every summary: churn probability at or above the threshold.
      // The lifecycle stage of that name is narrower (new, lapsed and churned customers have their own).
      expect(first.scoring.atRisk).toBe((JSON.parse(overview.out) as { current: { atRisk: number } }).current.atRisk);
      expect(first.scoring.atRisk).toBeGreaterThanOrEqual(first.scoring.atRiskStage);
      expect(first.scoring.atRiskStage).toBe(first.scoring.byStage['at-risk'] ?? 0);
      expect(first.campaigns.campaigns.map((x) => x.id)).toEqual(['at-risk-nudge', 'cart-abandonment', 'detractor-apology', 'first-order-thank-you', 'high-value-winback', 'tier-upgrade-reward']);
      const sent = first.campaigns.campaigns.reduce((a, x) => a + x.sent, 0);
      expect(sent).toBeGreaterThan(0);
      expect(inbox.emails).toHaveLength(sent);
      expect(first.urls.console).toBe(`${first.urls.api}/console`);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('a local stack is running');
      expect(c.stderr).toContain('load: simulating 300 customers');
      // stdout is the summary alone: no handler log line slipped in.
      expect(c.stdout.trim().startsWith('{')).toBe(true);
    } finally {
      if (c.child.exitCode === null) c.child.kill('SIGKILL');
    }
  }, 200_000);

  it('second run with --once: no reload (stored events unchanged but for campaign mail), trains against the kept models, exits 0', async () => {
    // Prepare
    const c = startChild(['--once', '--json']);
    // Act
    const code = await c.exited;
    const second = JSON.parse(c.stdout) as StartSummary;
    const counts = JSON.parse((await cli(['events', 'count', '--json'])).out) as EventCounts;
    const models = JSON.parse((await cli(['model', 'list', '--json'])).out) as ModelList;
    // Assess
    expect(code, c.stderr.slice(-2000)).toBe(0);
    expect(second).toMatchObject({ mode: 'once', firstRun: false, load: { status: 'skipped', marker: { customers: 300, source: 'simulated' } }, problems: [] });
    expect(c.stderr).not.toContain('load: simulating');
    expect(pick(counts.byKind, NON_EMAIL)).toEqual(pick(countsAfterFirst.byKind, NON_EMAIL));
    expect(counts.customers).toBe(300);
    for (const m of ['churn', 'propensity', 'clv']) {
      const before = modelsAfterFirst.models.find((x) => x.model === m)!.versions.map((v) => v.version);
      const after = models.models.find((x) => x.model === m)!.versions.map((v) => v.version);
      expect(after).toHaveLength(before.length + 1);
      expect(after).toEqual(expect.arrayContaining(before));
    }
    if (second.models.status !== 'trained') throw new Error('not trained');
    // Compared with the first run's champion: promoted over it, or kept as a challenger behind it.
    expect(second.models.churn?.champion).toBe(models.models.find((x) => x.model === 'churn')?.champion);
    expect(['promoted', 'challenger']).toContain(second.models.churn?.decision);
    expect(second.scoring).toMatchObject({ status: 'scored', customers: 300 });
  }, 150_000);

  it('winback reset refuses a folder that is not a data dir, then empties the data dir but its config.json', async () => {
    // Act
    const refused = await winback('reset', '--yes', '--data-dir', notADataDir);
    const reset = await cli(['reset', '--yes']);
    const left = await readdir(dataDir);
    const models = JSON.parse((await cli(['model', 'list', '--json'])).out) as ModelList;
    const counts = JSON.parse((await cli(['events', 'count', '--json'])).out) as EventCounts;
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('is not a winback data dir');
    expect(await readdir(notADataDir)).toEqual(['precious.txt']);
    expect(reset.code).toBe(0);
    expect(reset.out).toMatch(/removed .*demo\.json/);
    expect(left).toEqual(['config.json']);
    expect(models.models.every((m) => m.versions.length === 0)).toBe(true);
    expect(counts).toMatchObject({ total: 0, customers: 0 });
  }, 60_000);
});
