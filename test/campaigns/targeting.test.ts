import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign, type CampaignDryRun } from '../../application/campaign-run.js';
import { assignGroup } from '../../functions/campaigns/assignment.js';
import { budgetPeriod } from '../../functions/campaigns/budgets.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { NoUpliftModelError } from '../../functions/campaigns/targeting.js';
import { planTargeting, type TargetingPlan } from '../../functions/campaigns/targeting-plan.js';
import { resetConfig } from '../../functions/commons/config.js';
import { plan as fanoutPlan, startPage } from '../../functions/journeys/fanout.js';
import { resolveAudience } from '../../functions/journeys/audience.js';
import { customerArbitrations } from '../../functions/store/arbitration.js';
import { getBudget } from '../../functions/store/budgets.js';
import { listEntries } from '../../functions/store/journey-entries.js';
import type { JourneyStarter } from '../../functions/journeys/starter.js';
import type { FanoutShardState } from '../../functions/journeys/journey-state.js';
import { campaignLedger, type LedgerEntry } from '../../functions/store/ledger.js';
import { writeScores } from '../../functions/store/scores.js';
import { localRegistryUri } from '../../models/registry/open-store.js';
import { expectedValue } from '../../models/targeting.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { campaignStack, localJourneyRunner } from '../../scripts/local/journeys.js';
import { winback, winbackJson } from '../helpers/cli.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { mailsTo, pointCampaignsAt } from './domain-helpers.js';
import { chromium } from 'playwright-core';
import { mountConsole } from '../../scripts/console/mount.js';
import { CHROMIUM, openConsole } from '../console/browser.js';
import { knownUplift, population, registerLinearUplift } from './targeting-fixtures.js';

/**
 * Targeting, budgets, the discount ladder and arbitration (issue 14 items 3 and 4) on the local
 * stack: scores in DynamoDB, a registered uplift champion whose predictions are known in closed
 * form (targeting-fixtures.ts), the real fan-out and journeys.
 */
const N = 200;
const BUDGET = 100;
const TEMPLATES = join(process.cwd(), 'campaigns', 'templates');
const SCHEDULE = 'trigger: { type: schedule, cron: "0 10 * * 1" }\nvariants: [{ id: a, template: winback-offer }]\nsteps: [{ id: offer, send: {} }]\ntopic: marketing';
const FILES: Record<string, string> = {
  'ev-offer': `id: ev-offer\nname: EV offer\nstatus: active\n${SCHEDULE}\naudience: { tiers: [gold] }\nholdout: 0.2
targeting: { by: expected-value, top: 0.5 }
budget: { amount: ${BUDGET}, currency: GBP, period: month }
incentive: { ladder: [5, 10, 15, 20], currency: GBP, expiresInDays: 14, prefix: WBL }\n`,
  rival: `id: rival\nname: Rival\nstatus: active\n${SCHEDULE}\naudience: { tiers: [gold], churn: { min: 0.5 } }\nholdout: 0.1
targeting: { by: expected-value, top: 1 }
rewards: { points: { amount: 1000 } }\n`,
  'ev-dup': `id: ev-dup\nname: EV offer, started twice\nstatus: active\n${SCHEDULE}\naudience: { tiers: [gold] }\nholdout: 0.2
targeting: { by: expected-value, top: 0.5 }
budget: { amount: ${BUDGET}, currency: GBP, period: month }
incentive: { ladder: [5, 10, 15, 20], currency: GBP, expiresInDays: 14, prefix: WBD }\n`,
  'churn-top': `id: churn-top\nname: Churn top 30\nstatus: draft\n${SCHEDULE}\naudience: { tiers: [gold] }\nholdout: 0.5
targeting: { by: churn, top: 0.3 }\n`,
};

/** Every fan-out page of a run, as the fan-out machine runs them (each audience source, page after page). */
async function pages(table: string, campaign: CampaignDefinition, campaignsDir: string, starter: JourneyStarter, runId: string): Promise<{ started: number; duplicates: number }> {
  let started = 0;
  let duplicates = 0;
  for (const source of fanoutPlan(campaign, { campaignId: campaign.id, runId }).sources) {
    const page = { table, campaign, starter, now: new Date(), targeting: { campaignsDir, registryUri: process.env['MODEL_REGISTRY_URI']! } };
    let state: FanoutShardState = { campaignId: campaign.id, runId, source, started: 0, duplicates: 0, excluded: 0 };
    do state = await startPage(page, state);
    while (state.cursor);
    started += state.started;
    duplicates += state.duplicates;
  }
  return { started, duplicates };
}

function campaignsDir(ids: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'targeting-campaigns-'));
  mkdirSync(join(dir, 'templates'));
  for (const f of readdirSync(TEMPLATES)) copyFileSync(join(TEMPLATES, f), join(dir, 'templates', f));
  for (const id of ids) writeFileSync(join(dir, `${id}.yaml`), FILES[id]!);
  return dir;
}

describe('targeting, budgets, ladder and arbitration', () => {
  const stack = useLocalStack();
  const dirs: string[] = [];
  let soloChurn = '';
  let solo = '';
  let both = '';
  let dup = '';
  let registryUri = '';
  let upliftVersion = '';
  let scores: Map<string, CustomerScore>;
  const ctx = (campaignsDir: string, uri = registryUri) => ({ table: stack().tableName, campaignsDir, registryUri: uri, now: new Date() });
  const planOf = async (id: string, dir: string, uri = registryUri): Promise<{ campaign: CampaignDefinition; plan: TargetingPlan }> => {
    const campaign = await loadCampaign(dir, id);
    const audience = await resolveAudience(stack().tableName, campaign, new Date());
    return { campaign, plan: await planTargeting(ctx(dir, uri), campaign, audience.members) };
  };

  beforeAll(async () => {
    // Prepare: campaigns (one directory without contenders, one with two competing campaigns),
    // the uplift champion in the data dir's registry, N scored gold customers with an address.
    soloChurn = campaignsDir(['churn-top']);
    solo = campaignsDir(['ev-offer']);
    both = campaignsDir(['ev-offer', 'rival']);
    dup = campaignsDir(['ev-dup']);
    dirs.push(soloChurn, solo, both, dup);
    registryUri = localRegistryUri(stack().dataDir);
    process.env['MODEL_REGISTRY_URI'] = registryUri;
    pointCampaignsAt(stack());
    upliftVersion = await registerLinearUplift(registryUri);
    const people = population(N, '2026-11-30T00:00:00.000Z');
    scores = new Map(people.map((s) => [s.customerId, s]));
    await writeScores(stack().tableName, people, 0.6);
    for (let i = 0; i < N; i += 100) {
      const batch = people.slice(i, i + 100).map((s) => ({ type: 'identify', userId: s.customerId, messageId: `id-${s.customerId}`, traits: { email: `${s.customerId}@example.test` }, timestamp: '2026-11-01T00:00:00Z' }));
      expect((await post(stack(), '/v1/batch', { batch })).status).toBe(200);
    }
    await stack().drain({ timeoutMs: 60_000 });
  }, 120_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    delete process.env['MODEL_REGISTRY_URI'];
    resetConfig();
  });

  it('top 30% by churn selects the 30% of highest churn; the holdout is the sticky draw made before targeting, in the same share on both sides of the cut', async () => {
    const { campaign, plan } = await planOf('churn-top', soloChurn);
    const decisions = [...plan.decisions.values()];
    expect(decisions).toHaveLength(N);
    const byChurn = [...scores.values()].sort((a, b) => b.churnProbability - a.churnProbability).map((s) => s.customerId);
    const selected = decisions.filter((d) => d.selected).map((d) => d.customerId);
    expect(new Set(selected)).toEqual(new Set(byChurn.slice(0, 0.3 * N)));
    // Every customer, targeted or not, has the group the sticky hash gives without any targeting.
    for (const d of decisions) expect(d.group).toBe(assignGroup(campaign.id, d.customerId, campaign.holdout, campaign.variants).group);
    const share = (ds: typeof decisions): number => ds.filter((d) => d.group === 'holdout').length / ds.length;
    const inSlice = share(decisions.filter((d) => d.selected));
    const outside = share(decisions.filter((d) => !d.selected));
    expect(inSlice).toBeGreaterThan(0.35);
    expect(Math.abs(inSlice - outside)).toBeLessThan(0.1);
    // Churn targeting without ladder still gets the uplift champion's reasons.
    const top = plan.decisions.get(byChurn[0]!)!;
    expect(top.reasons).toMatchObject({ by: 'churn', rank: 1, upliftModel: upliftVersion });
    expect(decisions.filter((d) => !d.selected).every((d) => d.why === 'below the top 30% by churn')).toBe(true);
  });

  it('expected value = P(churn) x CLV x uplift - cost, at the smallest ladder step with a positive value; ranked by it; the budget is never planned past', async () => {
    const { plan } = await planOf('ev-offer', solo);
    const decisions = [...plan.decisions.values()];
    let laddered = 0;
    for (const d of decisions) {
      const s = scores.get(d.customerId)!;
      const ev = (step: number): number => expectedValue({ churn: s.churnProbability, clv: s.clv12m, uplift: knownUplift(s.purchasePropensity, 'ev-offer', step), cost: step });
      if (!d.reasons) {
        expect(d.why).toBe('no ladder step with a positive expected value');
        for (const step of [5, 10, 15, 20]) expect(ev(step)).toBeLessThanOrEqual(0);
        continue;
      }
      const step = d.reasons.incentive!.step;
      expect(d.reasons.expectedValue).toBeCloseTo(ev(step), 5);
      expect(d.reasons.uplift).toBeCloseTo(knownUplift(s.purchasePropensity, 'ev-offer', step), 5);
      expect(d.reasons.cost).toBe(step);
      for (const smaller of [5, 10, 15, 20].filter((x) => x < step)) expect(ev(smaller)).toBeLessThanOrEqual(0);
      if (step > 5) laddered++;
    }
    // Some customers need more than the smallest step (the model gives bigger steps more uplift).
    expect(laddered).toBeGreaterThan(0);
    const ranked = decisions.filter((d) => d.reasons).sort((a, b) => a.reasons!.rank - b.reasons!.rank);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i]!.reasons!.expectedValue!).toBeLessThanOrEqual(ranked[i - 1]!.reasons!.expectedValue!);
    const selected = decisions.filter((d) => d.selected);
    const treatedCost = selected.filter((d) => d.group === 'treatment').reduce((a, d) => a + d.reasons!.cost, 0);
    expect(plan.plannedSpend).toBeCloseTo(treatedCost, 6);
    expect(plan.plannedSpend).toBeLessThanOrEqual(BUDGET);
    // The budget binds here, and cuts by rank: nobody ranked below the first budget cut is kept.
    const firstCut = Math.min(...decisions.filter((d) => d.why === 'budget').map((d) => d.reasons!.rank));
    expect(Number.isFinite(firstCut)).toBe(true);
    expect(selected.every((d) => d.reasons!.rank < firstCut)).toBe(true);
  });

  it('without an uplift model, uplift and expected-value targeting fail with NoUpliftModelError; churn targeting runs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'targeting-registry-'));
    dirs.push(empty);
    await expect(planOf('ev-offer', solo, `file://${empty}`)).rejects.toThrow(NoUpliftModelError);
    await expect(planOf('ev-offer', solo, `file://${empty}`)).rejects.toThrow(/no uplift champion/);
    // The CLI's dry run says so, naming the fix.
    process.env['MODEL_REGISTRY_URI'] = `file://${empty}`;
    try {
      const cli = await winback('campaigns', 'run', 'ev-offer', '--dry-run', '--campaigns', solo, '--data-dir', stack().dataDir);
      expect(cli.code).toBe(1);
      expect(cli.err).toMatch(/needs an uplift model.*no uplift champion.*winback uplift evaluate .* --register/);
    } finally {
      process.env['MODEL_REGISTRY_URI'] = registryUri;
      resetConfig();
    }
    const { plan } = await planOf('churn-top', soloChurn, `file://${empty}`);
    const reasons = [...plan.decisions.values()].find((d) => d.selected)!.reasons!;
    expect(reasons.uplift).toBeUndefined();
    expect(reasons.expectedValue).toBeUndefined();
  });

  it('arbitration: a customer both campaigns want goes to the higher expected value, and both runs record the winner and the runner-up', async () => {
    const ev = (await planOf('ev-offer', both)).plan;
    const rival = (await planOf('rival', both)).plan;
    let lost = 0;
    let won = 0;
    for (const [id, d] of ev.decisions) {
      const a = d.arbitration;
      if (!a) continue;
      const r = rival.decisions.get(id)!;
      // Both campaigns reach the same decision from the same scores.
      expect(r.arbitration).toEqual(a);
      expect(a.winner.value).toBeGreaterThanOrEqual(a.runnerUp!.value);
      const s = scores.get(id)!;
      const rivalValue = expectedValue({ churn: s.churnProbability, clv: s.clv12m, uplift: knownUplift(s.purchasePropensity, 'rival'), cost: 10 });
      expect(a[a.winner.campaignId === 'rival' ? 'winner' : 'runnerUp']!.value).toBeCloseTo(rivalValue, 5);
      if (a.winner.campaignId === 'rival') {
        lost++;
        expect(d.selected).toBe(false);
        expect(d.why).toMatch(/^lost to rival \(expected value /);
      } else {
        won++;
        expect(a.runnerUp?.campaignId).toBe('rival');
        expect(r.selected).toBe(false);
        if (d.selected) expect(d.reasons!.decision).toEqual({ winner: a.winner, runnerUp: a.runnerUp });
      }
    }
    expect(lost).toBeGreaterThan(0);
    expect(won).toBeGreaterThan(0);
  });

  it('campaigns run --dry-run --json shows each recipient with its reason codes and the plan within the budget', async () => {
    const dry = await winbackJson<CampaignDryRun>('campaigns', 'run', 'ev-offer', '--dry-run', '--campaigns', both, '--data-dir', stack().dataDir);
    expect(dry.recipients).toHaveLength(N);
    expect(dry.targeting).toMatchObject({ by: 'expected-value', upliftModel: upliftVersion });
    expect(dry.targeting!.plannedSpend).toBeLessThanOrEqual(BUDGET);
    const targeted = dry.recipients!.filter((r) => r.targeted);
    expect(targeted.length).toBe(dry.targeting!.selected);
    for (const r of targeted) {
      expect(r.reasons).toMatchObject({ by: 'expected-value', upliftModel: upliftVersion, incentive: { unit: 'amount', currency: 'GBP' } });
      expect(r.reasons!.expectedValue).toBeGreaterThan(0);
      expect(r.verdict).toMatch(r.group === 'holdout' ? /^holdout/ : /^winback-offer/);
    }
    expect(dry.recipients!.some((r) => r.decision?.winner.campaignId === 'rival' && r.decision.runnerUp?.campaignId === 'ev-offer' && !r.targeted)).toBe(true);
    expect(dry.detail.some((l) => /\[rank \d+, churn .*EV .*coupon \d+ GBP/.test(l))).toBe(true);
  });

  it('a run commits each treated incentive once within the budget, keeps the reasons on the ledger and sends the chosen coupon; a retried page commits nothing more', async () => {
    const table = stack().tableName;
    const campaign = await loadCampaign(both, 'ev-offer');
    const period = budgetPeriod('month', new Date());
    const run = await runCampaign(campaignStack(stack()), campaign, { at: new Date(), sinceMs: 86_400_000, timeScale: 1e-6, campaignsDir: both });
    expect(run.started).toBeGreaterThan(0);
    const ledger = await campaignLedger(table, 'ev-offer');
    expect(ledger.length).toBe(run.started);
    for (const e of ledger) expect(e.reasons).toMatchObject({ by: 'expected-value', upliftModel: upliftVersion });
    const treated = (entries: LedgerEntry[]): LedgerEntry[] => entries.filter((e) => e.group === 'treatment');
    const costOf = (entries: LedgerEntry[]): number => treated(entries).reduce((a, e) => a + e.reasons!.cost, 0);
    const afterRun = await getBudget(table, 'ev-offer', period);
    expect(afterRun.spentMinor / 100).toBeCloseTo(costOf(ledger), 6);
    expect(afterRun.spentMinor).toBeLessThanOrEqual(BUDGET * 100);
    expect(afterRun.commitments).toBe(treated(ledger).length);
    // The coupon sent is the ladder step of the reasons.
    const sample = treated(ledger).find((e) => e.status === 'sent')!;
    const mail = (await mailsTo(stack(), `${sample.customerId}@example.test`))[0]!;
    expect(mail.subject).toContain(`£${sample.reasons!.incentive!.step}`);
    // Customers this run lost to the rival have the decision recorded on them (customers show lists it).
    const losers = [...(await planOf('ev-offer', both)).plan.decisions.values()].filter((d) => d.why?.startsWith('lost to rival'));
    expect(losers.length).toBeGreaterThan(0);
    for (const d of losers.slice(0, 5)) {
      const records = await customerArbitrations(table, d.customerId);
      expect(records).toContainEqual(expect.objectContaining({ campaignId: 'ev-offer', winner: d.arbitration!.winner, runnerUp: d.arbitration!.runnerUp }));
    }

    // customers show prints a message's reasons and a run's arbitration loss.
    const shownSent = await winback('customers', 'show', sample.customerId, '--data-dir', stack().dataDir);
    expect(shownSent.out).toMatch(new RegExp(`why: rank ${sample.reasons!.rank}, churn .*EV .*coupon ${sample.reasons!.incentive!.step} GBP`));
    const shownLost = await winback('customers', 'show', losers[0]!.customerId, '--data-dir', stack().dataDir);
    expect(shownLost.out).toMatch(/ev-offer \(run-.*\) lost to rival: expected value -?\d+\.\d\d vs \d+\.\d\d/);

    // The console's customer page shows the same: the message's reason codes and the lost run.
    mountConsole(stack().runtime, { dataDir: stack().dataDir, tableName: table });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const sent = await openConsole(browser, stack().apiUrl, `customers/${encodeURIComponent(sample.customerId)}`);
      expect(await sent.page.getByTestId('message-reasons').allTextContents()).toContainEqual(expect.stringContaining(`by expected-value, rank ${sample.reasons!.rank}, `));
      const lost = await openConsole(browser, stack().apiUrl, `customers/${encodeURIComponent(losers[0]!.customerId)}`);
      const rows = await lost.page.getByTestId('decision-row').allTextContents();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.join('\n')).toMatch(/ev-offer.*rival/);
      expect([...sent.problems, ...lost.problems]).toEqual([]);
    } finally {
      await browser.close();
    }

    // A retried page of the same run starts nothing and commits nothing more.
    const runner = await localJourneyRunner(stack(), { timeScale: 1e-6 });
    try {
      const runId = (await listEntries(table, 'ev-offer'))[0]!.triggerId;
      expect(await pages(table, campaign, both, runner, runId)).toEqual({ started: 0, duplicates: run.started });
      expect(await getBudget(table, 'ev-offer', period)).toEqual(afterRun);
    } finally {
      await runner.idle();
      runner.close();
    }
  });

  it('a run whose pages all start twice at once commits each incentive once and stays within the budget', async () => {
    const table = stack().tableName;
    const campaign = await loadCampaign(dup, 'ev-dup');
    // The journeys read their campaign from the configured directory, as in a deployment.
    await campaignStack(stack()).useCampaigns(dup);
    const runner = await localJourneyRunner(stack(), { timeScale: 1e-6 });
    try {
      const [first, second] = await Promise.all([pages(table, campaign, dup, runner, 'run-twice'), pages(table, campaign, dup, runner, 'run-twice')]);
      // Each journey started once; its twin start was refused as a duplicate.
      expect(first!.started + second!.started).toBeGreaterThan(0);
      expect(first!.duplicates + second!.duplicates).toBe(first!.started + second!.started);
      await runner.idle();
    } finally {
      runner.close();
    }
    const ledger = await campaignLedger(table, 'ev-dup');
    const treated = ledger.filter((e) => e.group === 'treatment');
    const budget = await getBudget(table, 'ev-dup', budgetPeriod('month', new Date()));
    expect(treated.length).toBeGreaterThan(0);
    expect(budget.commitments).toBe(treated.length);
    expect(budget.spentMinor / 100).toBeCloseTo(treated.reduce((a, e) => a + e.reasons!.cost, 0), 6);
    expect(budget.spentMinor).toBeLessThanOrEqual(BUDGET * 100);
    // The budget bound the plan (as for ev-offer above): it was spent to within one ladder step.
    expect(budget.spentMinor).toBeGreaterThan((BUDGET - 20) * 100);
  });
});
