/**
 * `npm run bench:targeting`, the run (scripts/bench/targeting.ts is the command line):
 *
 * 1. A past campaign sent at random (the randomized experiment): a population drawn from the
 *    simulator (targeting-population.ts), each customer in the sticky 50 % holdout or sent
 *    (functions/campaigns/assignment.ts, as every campaign), the sent ones with a coupon drawn
 *    at random from the ladder (the held-out ones carry the step they would have had, as a
 *    targeted run's holdout does), the outcome drawn from the ground truth.
 * 2. The uplift models trained and judged on it by winback's own code (evaluateExperiment:
 *    T-learner and class transformation, chosen by cross-fitted Qini, held-out figures) on rows
 *    built as targeting builds them (the score's numbers, the profile's traits, the campaign and
 *    the `incentive` step: functions/campaigns/targeting.ts), and registered as trainCampaignUplift
 *    registers them; the champion is what targeting scores with.
 * 3. A fresh population, and one campaign per policy: by churn and by uplift with a fixed 10 GBP
 *    coupon, by expected value with the 5/10/15/20 ladder; each its own id, hence its own 10 %
 *    holdout; the same slice (`count`: 30 % of the audience, holdout included) and the same
 *    budget (by default a 10 GBP coupon for every customer of the slice, so that it does not
 *    bind and churn and uplift targeting send equally many; with `budgetPerSlot` below 10 it
 *    cuts both by rank at the same count). Each is planned by the fan-out's
 *    planTargeting (holdout drawn first, scores, ladder, ranking, cut by count, positive value
 *    and budget) and each treated recipient's incentive committed by commitIncentive, the
 *    budget's exactly-once conditional write, on an in-memory dynalite.
 * 4. Judged on the ground truth: incremental conversions = Σ true uplift of the sent customers
 *    with their coupon; incremental revenue = Σ true uplift × the customer's value; incentives =
 *    the coupons committed (what the budget counts: a coupon's face value, redeemed or not);
 *    and, as a campaign report would see it, the sent vs held-out conversion rates of each
 *    policy's slice with outcomes drawn from the truth.
 * 5. A diagnostic beside the policies (`diagnostics`): the expected-value policy's ladder, ranking
 *    and cuts (models/targeting.ts) with CLV × uplift − cost, i.e. without the P(churn) factor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignGroup } from '../../functions/campaigns/assignment.js';
import { budgetPeriod, commitIncentive, incentiveOptions } from '../../functions/campaigns/budgets.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { parseCampaignText } from '../../functions/campaigns/definition/yaml.js';
import { SCORE_COLUMNS, upliftSource } from '../../functions/campaigns/targeting.js';
import { planTargeting } from '../../functions/campaigns/targeting-plan.js';
import { mapLimited } from '../../functions/commons/concurrency.js';
import { openRegistry } from '../../functions/jobs/model-registry.js';
import { factsFrom, type CustomerFacts } from '../../functions/journeys/customer-facts.js';
import { getBudget } from '../../functions/store/budgets.js';
import { createRng, subSeed } from '../../models/random.js';
import { cutRanking, ladderStep, rankCandidates } from '../../models/targeting.js';
import { registerUplift, upliftRecordOf } from '../../models/registry/uplift-model.js';
import { initBackend } from '../../models/tf/backend.js';
import { evaluateExperiment } from '../../models/uplift/evaluate.js';
import { encodeRow, fitEncoder, splitByArm, type ExperimentData } from '../../models/uplift/experiment.js';
import { predictUplift } from '../../models/uplift/learners.js';
import { startJobStack } from '../local/job-stack.js';
import { drawOutcome, simulatePopulation, trueUplift, type Segment, type SimCustomer } from './targeting-population.js';

export const LADDER = [5, 10, 15, 20] as const;
/** The fixed coupon of the churn and uplift policies (what a churn-targeted win-back mail usually carries). */
export const FIXED_COUPON = 10;
export const TOP = 0.3;
export const PAST_CAMPAIGN = 'past-offer';
const POLICY_HOLDOUT = 0.1;
const NOW = new Date('2026-12-07T10:00:00.000Z');
const SCORED_AT = '2026-12-06T00:00:00.000Z';

export type PolicyName = 'churn' | 'uplift' | 'expected-value';

export interface PolicyResult {
  readonly name: string;
  readonly by: PolicyName;
  /** Treated recipients whose incentive was committed (their journeys would start). */
  readonly sends: number;
  /** Held-out customers of the targeted slice. */
  readonly holdout: number;
  readonly incrementalConversions: number;
  readonly incrementalRevenue: number;
  /** Coupons committed (face value): the same as spend. */
  readonly incentiveCost: number;
  readonly netIncrementalRevenue: number;
  /** What the budget item says was committed. */
  readonly spend: number;
  /** What the plan said it would commit. */
  readonly plannedSpend: number;
  readonly budget: number;
  /** Commitments the budget refused (would overspend). */
  readonly refused: number;
  /** Sent customers per true segment. */
  readonly segments: Record<Segment, number>;
  /** Coupons given per ladder step (GBP -> count). */
  readonly coupons: Record<string, number>;
  /** As `campaigns report` would measure it: conversion rate of the sent minus that of the slice's holdout (drawn outcomes). */
  readonly measuredUplift: number;
}

export interface TargetingBenchResult {
  readonly seed: number;
  readonly customers: number;
  readonly trainCustomers: number;
  readonly model: {
    readonly champion: string;
    readonly kind: string;
    readonly hiddenUnits: readonly number[];
    readonly heldOut: { readonly n: number; readonly ate: number; readonly upliftAt30: number; readonly qini: number };
  };
  readonly policies: PolicyResult[];
  /** Not winback policies: what-ifs that explain the policies' figures (see the run's comments). */
  readonly diagnostics: PolicyResult[];
  /** Incremental conversions per send, uplift policy over churn policy (the ratio at equal sends); null when churn's is not positive. */
  readonly upliftOverChurn: number | null;
  readonly bestNetRevenue: PolicyName;
  readonly seconds: { readonly train: number; readonly plan: number; readonly total: number };
}

export interface TargetingBenchOptions {
  readonly customers: number;
  /** Customers of the past (random) campaign the models learn from; default = customers. */
  readonly trainCustomers?: number;
  readonly seed: number;
  /** Each policy's budget, GBP per customer of the slice (default 10: every slice customer's fixed coupon fits). */
  readonly budgetPerSlot?: number;
  readonly log?: (line: string) => void;
}

/** The uplift model's raw row for a customer, as upliftSourceOf (functions/campaigns/targeting.ts) builds it. */
function upliftRow(m: CustomerFacts, campaignId: string, step: number): Record<string, string> {
  const row: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.traits)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') row[k] = String(v);
  for (const k of SCORE_COLUMNS) {
    // `orders` is also a churn-feature name: a model with that column makes targeting compute the
    // churn features from the customer's events (none here) and overwrite the score's count with them.
    if (k === 'orders') continue;
    const v = m.score?.[k];
    if (typeof v === 'number') row[k] = String(v);
  }
  row['campaign'] = campaignId;
  row['incentive'] = String(step);
  return row;
}

const factsOf = (c: SimCustomer): CustomerFacts => factsFrom(c.customerId, { customerId: c.customerId, traits: c.traits, consent: {} }, c.score, NOW);

interface SliceMember {
  readonly customerId: string;
  readonly group: 'holdout' | 'treatment';
  readonly cost: number;
  readonly step: number;
}

function policyCampaign(by: PolicyName, count: number, budget: number, id = `bench-by-${by}`): CampaignDefinition {
  const incentive =
    by === 'expected-value'
      ? `incentive: { ladder: [${LADDER.join(', ')}], unit: amount, currency: GBP, expiresInDays: 14, prefix: WBE }`
      : `rewards: { coupon: { amountOff: ${FIXED_COUPON}, currency: GBP, expiresInDays: 14, prefix: WBF } }`;
  const text = `id: ${id}
name: Bench, by ${by}
status: active
topic: marketing
trigger: { type: schedule, cron: "0 10 * * 1" }
holdout: ${POLICY_HOLDOUT}
variants: [{ id: offer, template: winback-offer }]
steps: [{ id: offer, send: {} }]
targeting: { by: ${by}, count: ${count} }
budget: { amount: ${budget}, currency: GBP, period: month }
${incentive}
goal: { event: { kind: order, name: placed }, attributionWindow: 14d }
`;
  const parsed = parseCampaignText(text, `${id}.yaml`);
  if (!parsed.campaign) throw new Error(`bench campaign does not validate: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return parsed.campaign;
}

/** Phase 1: the past random campaign as an experiment, in targeting's row layout. */
function pastExperiment(customers: readonly SimCustomer[], seed: number): ExperimentData {
  const rng = createRng(subSeed(seed, 3));
  const t: number[] = [];
  const y: number[] = [];
  const raw: Array<Record<string, string>> = [];
  for (const c of customers) {
    const treated = assignGroup(PAST_CAMPAIGN, c.customerId, 0.5, [{ id: 'offer', weight: 1 }]).group === 'treatment';
    const step = LADDER[Math.floor(rng() * LADDER.length)]!;
    t.push(treated ? 1 : 0);
    y.push(drawOutcome(c, treated ? step : undefined, rng));
    raw.push(upliftRow(factsOf(c), PAST_CAMPAIGN, step));
  }
  const encoder = fitEncoder(Object.keys(raw[0]!), raw);
  return {
    spec: { treatmentColumn: 'arm', treatment: 'sent', control: 'holdout', outcome: 'converted' },
    n: raw.length,
    t,
    y,
    raw,
    encoder,
    x: raw.map((r) => encodeRow(encoder, r)),
    binary: true,
    otherArmRows: 0,
  };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export async function runTargetingBench(options: TargetingBenchOptions): Promise<TargetingBenchResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const trainN = options.trainCustomers ?? options.customers;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-targeting-'));
  const stack = await startJobStack(dataDir);
  try {
    await initBackend();
    // Phase 1: learn from a randomized past campaign.
    const past = simulatePopulation(trainN, subSeed(options.seed, 1), 'past', SCORED_AT);
    const data = pastExperiment(past, options.seed);
    log(`past campaign: ${data.n} customers, ${data.t.reduce((s, v) => s + v, 0)} sent at random; training the uplift models ...`);
    const evaluation = evaluateExperiment(data, { holdoutFraction: 0.5, seed: options.seed });
    const registry = await openRegistry(stack.registryUri);
    const { holdout } = splitByArm(data.t, 0.5, options.seed);
    for (const m of evaluation.models) {
      // As trainCampaignUplift registers campaign models: one version per kind, champion by held-out Qini.
      const record = upliftRecordOf({ evaluated: m, data, source: `campaigns ${PAST_CAMPAIGN} (simulated)`, holdoutFraction: 0.5, seed: options.seed, dataHash: `bench-${options.seed}-${trainN}` });
      await registerUplift(registry, {
        record,
        holdout: { raw: holdout.map((i) => data.raw[i]!), t: holdout.map((i) => data.t[i]!), y: holdout.map((i) => data.y[i]!), outcome: 'converted' },
        createdAt: NOW,
      });
    }
    const trained = Date.now();
    const index = await registry.readIndex('uplift');
    const championEntry = index.versions.find((v) => v.version === index.champion)!;
    const champion = evaluation.models.find((m) => `uplift-${m.kind}` === championEntry.featureVersion)!;
    log(`uplift champion ${index.champion} (${champion.kind}, hidden ${JSON.stringify(champion.hiddenUnits)}): held-out Qini ${champion.holdout.qini.toFixed(3)}, uplift@30% ${champion.holdout.upliftAtK['0.3'].toFixed(4)} vs ATE ${champion.holdout.ate.toFixed(4)}`);

    // Targeting must read the registered model exactly as it was trained: same rows, same scores.
    const source = await upliftSource(stack.registryUri, stack.tableName, NOW);
    const probe = past.slice(0, 50);
    const viaTargeting = await source.score(policyCampaign('uplift', 1, 1), probe.map(factsOf), 10);
    const direct = predictUplift(champion.model, probe.map((c) => encodeRow(data.encoder, upliftRow(factsOf(c), 'bench-by-uplift', 10))));
    if (viaTargeting.some((v, i) => Math.abs(v - direct[i]!) > 1e-5)) throw new Error('targeting scores the registered uplift model differently from how it was trained (row layout drifted)');

    // Phase 2: a fresh population, one campaign per policy.
    const population = simulatePopulation(options.customers, subSeed(options.seed, 2), 'c', SCORED_AT);
    const byId = new Map(population.map((c) => [c.customerId, c]));
    const members = population.map(factsOf);
    // The same slice for every policy (holdout included): `count`, not `top`, because with a ladder
    // `top` is a share of the customers with a positive step only (targetCount over the ranking).
    const count = Math.round(TOP * options.customers);
    const budget = (options.budgetPerSlot ?? FIXED_COUPON) * count;
    const campaignsDir = mkdtempSync(join(dataDir, 'campaigns-'));
    const outcomeRng = createRng(subSeed(options.seed, 4));
    const judge = async (campaign: CampaignDefinition, name: string, by: PolicyName, slice: readonly SliceMember[], plannedSpend: number): Promise<PolicyResult> => {
      const treated = slice.filter((d) => d.group === 'treatment');
      const committed = await mapLimited(treated, 8, async (d) => {
        const r = await commitIncentive(stack.tableName, campaign, { commitmentId: `${campaign.id}#${d.customerId}`, cost: d.cost, now: NOW });
        return { d, reserved: r.reserved };
      });
      const sent = committed.filter((c) => c.reserved).map((c) => c.d);
      const spend = (await getBudget(stack.tableName, campaign.id, budgetPeriod(campaign.budget!.period, NOW))).spentMinor / 100;
      const segments: Record<Segment, number> = { 'sure-thing': 0, persuadable: 0, 'lost-cause': 0, 'do-not-disturb': 0 };
      const coupons: Record<string, number> = {};
      let conversions = 0;
      let revenue = 0;
      let cost = 0;
      let sentConverted = 0;
      for (const d of sent) {
        const c = byId.get(d.customerId)!;
        const u = trueUplift(c, d.step);
        conversions += u;
        revenue += u * c.value;
        cost += d.cost;
        segments[c.segment]++;
        coupons[String(d.step)] = (coupons[String(d.step)] ?? 0) + 1;
        sentConverted += drawOutcome(c, d.step, outcomeRng);
      }
      const held = slice.filter((d) => d.group === 'holdout');
      const heldConverted = held.reduce((acc, d) => acc + drawOutcome(byId.get(d.customerId)!, undefined, outcomeRng), 0);
      const measured = (sent.length ? sentConverted / sent.length : 0) - (held.length ? heldConverted / held.length : 0);
      log(`${name}: ${sent.length} sends, ${held.length} held out, spend ${spend.toFixed(2)} of ${budget}`);
      return {
        name,
        by,
        sends: sent.length,
        holdout: held.length,
        incrementalConversions: round(conversions, 1),
        incrementalRevenue: round(revenue, 0),
        incentiveCost: round(cost, 2),
        netIncrementalRevenue: round(revenue - cost, 0),
        spend: round(spend, 2),
        plannedSpend: round(plannedSpend, 2),
        budget,
        refused: committed.length - sent.length,
        segments,
        coupons,
        measuredUplift: round(measured, 4),
      };
    };

    const policies: PolicyResult[] = [];
    for (const by of ['churn', 'uplift', 'expected-value'] as const) {
      const campaign = policyCampaign(by, count, budget);
      const plan = await planTargeting({ table: stack.tableName, campaignsDir, registryUri: stack.registryUri, now: NOW }, campaign, members);
      const slice = [...plan.decisions.values()]
        .filter((d) => d.selected)
        .map((d) => ({ customerId: d.customerId, group: d.group, cost: d.reasons!.cost, step: d.reasons!.incentive?.step ?? FIXED_COUPON }));
      policies.push(await judge(campaign, `by ${by}`, by, slice, plan.plannedSpend));
    }

    // Diagnostic, not a policy winback has: the same ladder, ranking and cuts (models/targeting.ts)
    // with the value at stake taken as CLV rather than P(churn) x CLV, i.e. an uplift read as the
    // change in P(order) (what the models estimate) rather than as a share of the churners won back.
    const diagnostic = policyCampaign('expected-value', count, budget, 'bench-ev-without-churn');
    const perStep = new Map<number, number[]>();
    for (const step of LADDER) perStep.set(step, await source.score(diagnostic, members, step));
    const candidates = members.flatMap((m, i) => {
      const choice = ladderStep(incentiveOptions(diagnostic, m.score!.expectedOrderValue), { churn: 1, clv: m.score!.clv12m }, (o) => perStep.get(o.step)![i]!);
      return choice ? [{ customerId: m.customerId, churn: m.score!.churnProbability, uplift: choice.uplift, expectedValue: choice.expectedValue, cost: choice.option.cost, step: choice.option.step }] : [];
    });
    const groupOf = (id: string): 'holdout' | 'treatment' => assignGroup(diagnostic.id, id, diagnostic.holdout, diagnostic.variants).group;
    const cut = cutRanking(rankCandidates(candidates, 'expected-value'), { size: { count }, by: 'expected-value', budgetLeft: budget, isHoldout: (id) => groupOf(id) === 'holdout' });
    const diagnostics = [
      await judge(
        diagnostic,
        'EV without P(churn)',
        'expected-value',
        cut.selected.map((r) => ({ customerId: r.candidate.customerId, group: groupOf(r.candidate.customerId), cost: r.candidate.cost, step: r.candidate.step })),
        cut.plannedSpend,
      ),
    ];
    const perSend = (p: PolicyResult): number => (p.sends ? p.incrementalConversions / p.sends : 0);
    const churn = policies.find((p) => p.by === 'churn')!;
    const uplift = policies.find((p) => p.by === 'uplift')!;
    const best = policies.reduce((a, b) => (b.netIncrementalRevenue > a.netIncrementalRevenue ? b : a));
    const done = Date.now();
    return {
      seed: options.seed,
      customers: options.customers,
      trainCustomers: trainN,
      model: {
        champion: index.champion!,
        kind: champion.kind,
        hiddenUnits: champion.hiddenUnits,
        heldOut: { n: champion.holdout.n, ate: round(champion.holdout.ate, 4), upliftAt30: round(champion.holdout.upliftAtK['0.3'], 4), qini: round(champion.holdout.qini, 3) },
      },
      policies,
      diagnostics,
      upliftOverChurn: perSend(churn) > 0 ? round(perSend(uplift) / perSend(churn), 2) : null,
      bestNetRevenue: best.by,
      seconds: { train: Math.round((trained - started) / 1000), plan: Math.round((done - trained) / 1000), total: Math.round((done - started) / 1000) },
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
