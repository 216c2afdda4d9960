import { describe, expect, it, beforeAll } from 'vitest';
import { getCoupon } from '../../functions/campaigns/rewards.js';
import { listAllCustomers } from '../../functions/jobs/customer-events.js';
import { listEntries } from '../../functions/store/journey-entries.js';
import type { CampaignReport, OutcomeMetrics } from '../../functions/journeys/outcomes.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { writeScores } from '../../functions/store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { hash32 } from '../../scripts/simulate/random.js';
import { planEntrant, type EntrantFacts, type PlanSettings } from '../../scripts/simulate/response-plan.js';
import type { ResponsesSummary } from '../../scripts/simulate/responses.js';
import { campaignUpliftRows } from '../../functions/jobs/campaign-uplift.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import { computeFeatures } from '../../models/features.js';
import { backtestUpliftChampion } from '../../functions/jobs/uplift-backtest.js';
import { trainCampaignUplift } from '../../functions/jobs/campaign-uplift.js';
import { upliftCycle } from '../../functions/jobs/uplift-cycle.js';
import { initBackend } from '../../models/tf/backend.js';
import { useTempRegistries } from '../helpers/temp-dirs.js';
import { campaignRows } from '../jobs/campaign-rows.js';
import { winback, winbackJson } from '../helpers/cli.js';
import { testScore } from '../helpers/scores.js';
import { useLocalStack } from '../helpers/stack.js';

/**
 * `winback simulate --responses` end to end: a simulated population whose period is over, scores
 * written so that everyone crosses the churn threshold into gold (training is not what is under
 * test, and takes minutes), the shipped high-value win-back campaign run on the local Step
 * Functions and SES, then simulated responses through the ingest API, read back by
 * `winback campaigns report`.
 */

const CAMPAIGN = 'high-value-winback';
const CUSTOMERS = 200;
const START = '2026-03-02';
const DAYS = 60;
const FIRST_SCORE = '2026-05-02T00:00:00.000Z';
const SECOND_SCORE = '2026-05-03T00:00:00.000Z';
const RUN_AT = '2026-05-03T12:00:00.000Z';
/** +200 % relative: large enough to show against a holdout of ~20 (200 customers, 10 %). */
const EFFECT = '2';
const SEED = '7';
/**
 * A 3-day wait takes 0.5 s: at the CLI's default (2.6 s) each wave of 32 concurrent journeys waits
 * out its reminder in real time. What is asserted is in journey time.
 */
const TIME_SCALE = '2e-6';

const stack = useLocalStack();
const registries = useTempRegistries();
let dataDir = '';

function score(customerId: string, scoredAt: string, churn: number, tier: CustomerScore['tier']): CustomerScore {
  // Propensities spread over 0.25-0.55 per customer, so baselines differ between entrants.
  const propensity = 0.25 + (hash32(customerId) % 300) / 1000;
  return testScore(customerId, scoredAt, { churnProbability: churn, purchasePropensity: propensity, tier });
}

const respond = (...extra: string[]): Promise<ResponsesSummary> =>
  winbackJson<ResponsesSummary>('simulate', '--responses', '--campaign', CAMPAIGN, '--effect', EFFECT, '--seed', SEED, ...extra, '--data-dir', dataDir);
const report = (): Promise<CampaignReport> => winbackJson<CampaignReport>('campaigns', 'report', CAMPAIGN, '--data-dir', dataDir);
const withoutTime = ({ asOf: _asOf, ...rest }: CampaignReport): Omit<CampaignReport, 'asOf'> => rest;
const conversions = (m: OutcomeMetrics): number => m.converted;

beforeAll(async () => {
  dataDir = stack().dataDir;
  const seeded = await winback('simulate', '--direct', '--customers', String(CUSTOMERS), '--days', String(DAYS), '--seed', '11', '--start', START, '--data-dir', dataDir);
  expect(seeded.code, seeded.err).toBe(0);
  const table = stack().tableName;
  const ids = await listAllCustomers(table);
  await writeScores(table, ids.map((id) => score(id, FIRST_SCORE, 0.3, 'silver')), 0.6);
  const second = await writeScores(table, ids.map((id) => score(id, SECOND_SCORE, 0.75, 'gold')), 0.6);
  expect(second.crossings.length).toBe(ids.length);
  const run = await winbackJson<{ started: number; sends: number }>('campaigns', 'run', CAMPAIGN, '--at', RUN_AT, '--since', '2d', '--time-scale', TIME_SCALE, '--data-dir', dataDir);
  expect(run.started).toBe(ids.length);
  expect(run.sends).toBeGreaterThan(0);
}, 120_000);

describe('simulate --responses on a campaign that just ran', () => {
  let first: ResponsesSummary;
  let before: CampaignReport;
  let after: CampaignReport;

  it('turns a report of nothing into opens, clicks and conversions that match the summary', async () => {
    before = await report();
    expect(before.treatment.opened + before.treatment.converted + before.holdout.converted).toBe(0);

    first = await respond();
    after = await report();
    const c = first.campaigns[0]!;
    expect(first.campaigns.map((x) => x.campaignId)).toEqual([CAMPAIGN]);
    expect(first.rejected).toBe(0);
    expect(c.entrants).toEqual({ treatment: after.treatment.entered, holdout: after.holdout.entered });
    expect(c.messages).toBe(after.treatment.sent);
    expect(c.opened).toBeGreaterThan(0);
    expect(c.clicked).toBeGreaterThan(0);
    expect(c.clicked).toBeLessThan(c.opened);
    expect(after.treatment.opened).toBe(c.opened);
    expect(after.treatment.clicked).toBe(c.clicked);
    expect(after.holdout.opened).toBe(0);
    expect(conversions(after.treatment)).toBe(c.orders.treatment);
    expect(conversions(after.holdout)).toBe(c.orders.holdout);
    expect(after.treatment.revenue).toBeCloseTo(c.revenue.treatment, 2);
    expect(after.holdout.revenue).toBeCloseTo(c.revenue.holdout, 2);
    expect(c.posted).toEqual({ opens: c.opened, clicks: c.clicked, orders: c.orders.treatment + c.orders.holdout });
    expect(c.fromOtherRuns).toEqual({ opens: 0, clicks: 0, orders: 0 });
  }, 60_000);

  it('a second run posts nothing and changes no figure of the report', async () => {
    const again = await respond();
    const c = again.campaigns[0]!;
    const { posted: _p1, ...firstFigures } = first.campaigns[0]!;
    const { posted, ...againFigures } = c;
    expect(posted).toEqual({ opens: 0, clicks: 0, orders: 0 });
    expect(againFigures).toEqual(firstFigures);
    expect(withoutTime(await report())).toEqual(withoutTime(after));
  }, 60_000);

  it('with a large effect, treatment converts more and the 95% CI covers the simulated true uplift', () => {
    const c = first.campaigns[0]!;
    expect(c.trueUplift).toBeGreaterThan(0.2);
    expect(after.treatment.conversionRate).toBeGreaterThan(after.holdout.conversionRate);
    const ci = after.uplift.conversion;
    expect(ci.lower).toBeLessThanOrEqual(c.trueUplift);
    expect(ci.upper).toBeGreaterThanOrEqual(c.trueUplift);
  });

  it('responses fall after the send (orders after the entry) and never after the run', async () => {
    const table = stack().tableName;
    const ranAt = first.asOf;
    let checked = 0;
    for (const e of await listEntries(table, CAMPAIGN)) {
      const events = await queryCustomerEvents(table, e.customerId, { from: e.enteredAt });
      const sentAt = new Map(events.filter((ev) => ev.email?.type === 'send').map((ev) => [ev.email!.messageId, ev.timestamp]));
      const firstSend = [...sentAt.values()].sort()[0];
      for (const ev of events) {
        if (ev.email?.type === 'open' || ev.email?.type === 'click') {
          expect(ev.email.campaignId).toBe(CAMPAIGN);
          expect(ev.timestamp >= sentAt.get(ev.email.messageId)!, ev.eventId).toBe(true);
        } else if (ev.kind === 'order') {
          expect(ev.timestamp >= (e.group === 'treatment' && firstSend ? firstSend : e.enteredAt), ev.eventId).toBe(true);
        } else continue;
        expect(ev.timestamp <= ranAt, ev.eventId).toBe(true);
        checked++;
      }
    }
    const c = first.campaigns[0]!;
    expect(checked).toBe(c.opened + c.clicked + c.orders.treatment + c.orders.holdout);
  }, 30_000);

  it("treated converters' orders carry their coupon, and ingestion redeemed it for that order", async () => {
    const table = stack().tableName;
    const treated = (await listEntries(table, CAMPAIGN)).filter((e) => e.group === 'treatment');
    const redeemed: string[] = [];
    for (const e of treated) {
      const events = await queryCustomerEvents(table, e.customerId, { from: e.enteredAt });
      for (const ev of events) {
        const code = ev.kind === 'order' && ev.name === 'placed' ? ev.order?.couponCode : undefined;
        if (!code) continue;
        const coupon = await getCoupon(table, code);
        expect(coupon?.customerId).toBe(e.customerId);
        expect(coupon?.orderId).toBe(ev.order!.orderId);
        expect(coupon?.redeemedAt).toBeDefined();
        expect(ev.order!.discount).toBeGreaterThan(0);
        redeemed.push(code);
      }
    }
    expect(redeemed.length).toBeGreaterThan(0);
    expect(redeemed.length).toBe(first.campaigns[0]!.couponsUsed);
  }, 30_000);
});

describe('the campaign as uplift training data (winback uplift train)', () => {
  /** When the last entry's attribution window has closed. */
  const windowsClosed = async (): Promise<Date> => {
    const campaign = await loadCampaign('campaigns', CAMPAIGN);
    const last = Math.max(...(await listEntries(stack().tableName, CAMPAIGN)).map((e) => Date.parse(e.enteredAt)));
    return new Date(last + campaign.goal.attributionWindow);
  };

  it('one row per entry, treated = sent; outcomes and features as the report and the send saw them', async () => {
    const table = stack().tableName;
    const rep = await report();
    const campaign = await loadCampaign('campaigns', CAMPAIGN);
    // The report counts windows still open at its time; training waits for them to close (no
    // response is simulated after the report's time, so the outcomes are the report's).
    const asOf = await windowsClosed();
    const [converted, revenue] = await Promise.all(
      (['converted', 'revenue'] as const).map((outcome) => campaignUpliftRows(table, [campaign], { asOf, outcome })),
    );
    const arm = (treated: boolean) => converted!.rows.filter((r) => r.treated === treated);
    expect(converted!.campaigns).toEqual([{ campaignId: CAMPAIGN, entries: CUSTOMERS, open: 0, treated: rep.treatment.entered, holdout: rep.holdout.entered }]);
    expect(arm(true).reduce((s, r) => s + r.outcome, 0)).toBe(rep.treatment.converted);
    expect(arm(false).reduce((s, r) => s + r.outcome, 0)).toBe(rep.holdout.converted);
    const revenueOf = (treated: boolean) => revenue!.rows.filter((r) => r.treated === treated).reduce((s, r) => s + r.outcome, 0);
    expect(revenueOf(true)).toBeCloseTo(rep.treatment.revenue, 2);
    expect(revenueOf(false)).toBeCloseTo(rep.holdout.revenue, 2);
    // Features are those at entry: the orders the responses placed afterwards are not in them.
    const entries = new Map((await listEntries(table, CAMPAIGN)).map((e) => [e.customerId, e]));
    for (const row of arm(true).filter((r) => r.outcome === 1).slice(0, 10)) {
      const enteredAt = entries.get(row.customerId)!.enteredAt;
      const before = await queryCustomerEvents(table, row.customerId, { to: enteredAt });
      expect(row.features).toEqual(computeFeatures(before, new Date(enteredAt)));
    }
    // Before the attribution window closes no entry is used.
    const early = await campaignUpliftRows(table, [campaign], { asOf: new Date(RUN_AT), outcome: 'converted' });
    expect(early.rows).toHaveLength(0);
    expect(early.campaigns[0]!.open).toBe(CUSTOMERS);
  }, 60_000);

  it("realised backtest: the champion registered before the run is judged on this campaign's entries, kept and flagged by threshold", async () => {
    await initBackend();
    const registry = registries();
    const table = stack().tableName;
    const campaign = await loadCampaign('campaigns', CAMPAIGN);
    const now = await windowsClosed();
    // A champion learnt from an earlier campaign's rows, registered before this run's entries.
    await trainCampaignUplift(campaignRows(1200, 5, CAMPAIGN), { outcome: 'converted', registry, now: new Date('2026-04-01T00:00:00Z') });
    const champion = (await registry.readIndex('uplift')).champion!;
    const rep = await report();
    const strict = await backtestUpliftChampion({ registry, table, campaigns: [campaign], now, minQini: 2 });
    expect(strict.status).toBe('recorded');
    if (strict.status !== 'recorded') return;
    expect(strict.version).toBe(champion);
    expect(strict.record).toMatchObject({ n: CUSTOMERS, treated: rep.treatment.entered, campaigns: [CAMPAIGN], from: '2026-04-01T00:00:00.000Z' });
    expect(strict.record.ate).toBeCloseTo(rep.treatment.conversionRate - rep.holdout.conversionRate, 10);
    expect(strict.flagged).toBe(true);
    let entry = (await registry.readIndex('uplift')).versions.find((v) => v.version === champion)!;
    expect(entry.flagged).toBe(true);
    expect(entry.flagReason).toMatch(/realised Qini .* < 2 on 200 campaign entries/);
    // Retried at the same time with a threshold it meets: one record, the flag cleared.
    const lenient = await backtestUpliftChampion({ registry, table, campaigns: [campaign], now, minQini: -2 });
    expect(lenient.status === 'recorded' && lenient.flagged).toBe(false);
    entry = (await registry.readIndex('uplift')).versions.find((v) => v.version === champion)!;
    expect(entry.upliftBacktests).toHaveLength(1);
    expect(entry.flagged).toBeUndefined();
    // A champion registered after every entry has nothing of its own to be judged on.
    const later = registries();
    await trainCampaignUplift(campaignRows(1200, 5, CAMPAIGN), { outcome: 'converted', registry: later, now });
    const skipped = await backtestUpliftChampion({ registry: later, table, campaigns: [campaign], now });
    expect(skipped).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/0 treated and 0 held-out entries/) });
  }, 120_000);

  it("the training job's uplift cycle: no champion to backtest, and too few closed entries to train on, each a skip with its reason", async () => {
    const registry = registries();
    const outcome = await upliftCycle({ registry, table: stack().tableName, campaignsDir: 'campaigns', now: await windowsClosed() });
    expect(outcome.backtest).toEqual({ status: 'skipped', version: null, reason: 'no uplift champion' });
    expect(outcome.training).toMatchObject({ status: 'skipped', rows: CUSTOMERS, reason: expect.stringMatching(/each arm needs 10/) });
    expect((await registry.readIndex('uplift')).versions).toEqual([]);
  }, 60_000);

  it('with too few held-out customers to judge a model, says so and registers nothing', async () => {
    const at = (await windowsClosed()).toISOString();
    const r = await winback('uplift', 'train', '--campaign', CAMPAIGN, '--at', at, '--register', '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/each arm needs 10/);
    expect(r.err).toMatch(new RegExp(`${CAMPAIGN}: \\d+ treated, \\d+ held out`));
    const models = await winbackJson<{ models: Record<string, unknown> }>('model', 'list', '--json', '--data-dir', dataDir);
    expect(JSON.stringify(models)).not.toMatch(/uplift-/);
  }, 60_000);
});

describe('response plan (pure)', () => {
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  const entrant = (i: number, group: 'treatment' | 'holdout', enteredAtMs: number): EntrantFacts => ({
    campaignId: 'c',
    customerId: `cust-${i}`,
    entryId: `c--cust-${i}--t`,
    group,
    enteredAtMs,
    messages: group === 'treatment' ? [{ messageId: `m-${i}`, stepId: 'offer', sentAtMs: enteredAtMs + 500 }] : [],
    propensity: 0.3,
    openRate: 0.35,
    clickRate: 0.2,
    pastLines: [],
  });
  const settings = (effect: number): PlanSettings => ({ seed: 1, effect, windowMs: 14 * 86_400_000, nowMs: now });

  it('effect 0: treatment and holdout get the same probability and the same decision, draw for draw', () => {
    for (let i = 0; i < 300; i++) {
      const t = planEntrant(entrant(i, 'treatment', now - 5_000), settings(0));
      const h = planEntrant(entrant(i, 'holdout', now - 5_000), settings(0));
      expect(t.probability).toBe(h.probability);
      expect(t.order?.orderId).toBe(h.order?.orderId);
    }
  });

  it('is deterministic, and never places a response before its send or after now', () => {
    for (const enteredAtMs of [now - 5_000, now - 3 * 86_400_000, now - 40 * 86_400_000]) {
      for (let i = 0; i < 100; i++) {
        const f = entrant(i, 'treatment', enteredAtMs);
        const plan = planEntrant(f, settings(0.5));
        expect(planEntrant(f, settings(0.5))).toEqual(plan);
        const horizon = Math.min(now, enteredAtMs + 14 * 86_400_000);
        for (const o of plan.opens) {
          expect(o.openAtMs).toBeGreaterThan(o.sentAtMs);
          expect(o.openAtMs).toBeLessThanOrEqual(horizon);
          if (o.clickAtMs !== undefined) expect(o.clickAtMs).toBeGreaterThanOrEqual(o.openAtMs);
          if (o.clickAtMs !== undefined) expect(o.clickAtMs).toBeLessThanOrEqual(horizon);
        }
        if (plan.order) {
          expect(plan.order.atMs).toBeGreaterThan(f.messages[0]!.sentAtMs);
          expect(plan.order.atMs).toBeLessThanOrEqual(horizon);
        }
      }
    }
  });
});
