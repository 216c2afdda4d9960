import { cutRanking, rankCandidates, type Arbitration } from '../../models/targeting.js';
import type { CustomerFacts } from '../journeys/customer-facts.js';
import { reentryDecision } from '../journeys/reentry.js';
import { customerEntries } from '../store/journey-entries.js';
import { arbitrateMembers, contenderCampaigns } from './arbitration.js';
import { assignGroup, type Group } from './assignment.js';
import { budgetLeft } from './budgets.js';
import type { CampaignDefinition } from './definition/schema.js';
import type { SendReasons } from './reasons.js';
import { bidValue, needsUplift, NoUpliftModelError, scoreMembers, upliftSource, type CampaignCandidate, type UpliftSource } from './targeting.js';

/**
 * A targeted campaign's run, planned over its whole eligible audience (the members that pass its
 * audience filters): who is sent, who is held out, who is left out and why.
 *
 * Order, and why:
 *  1. the sticky holdout is drawn for every member first (a hash of campaign and customer,
 *     functions/campaigns/assignment.ts), so whether a customer is held out never depends on
 *     their scores, and held-out customers are ranked and cut exactly like treated ones;
 *  2. scores: churn, CLV, uplift, expected value, the ladder step;
 *  3. arbitration against the other targeted campaigns (arbitration.ts);
 *  4. ranking by `targeting.by` and the cut: top share / count, positive expected value, budget
 *     (by rank, so the holdout in the targeted slice stays a random share of it).
 * Within the targeted slice treated and held-out customers are then a randomized experiment on
 * exactly the customers the policy picks, and `campaigns report` measures the policy's uplift.
 */
export interface TargetDecision {
  readonly customerId: string;
  readonly group: Group;
  readonly variant: string;
  readonly selected: boolean;
  /** Why a member is left out: 'below the top 30%', 'budget', 'lost to <campaign>' ... */
  readonly why?: string;
  /** Reason codes of a scored member (selected or cut by rank or budget). */
  readonly reasons?: SendReasons;
  /** The arbitration, when another campaign wanted the customer too. */
  readonly arbitration?: Arbitration;
}

export interface TargetingPlan {
  readonly decisions: Map<string, TargetDecision>;
  /** Incentives the selected treatment customers commit (budget currency). */
  readonly plannedSpend: number;
  /** Budget left in the period before this run (Infinity without a budget). */
  readonly budgetLeft: number;
  readonly upliftModel?: string;
}

export interface TargetingContext {
  readonly table: string;
  readonly campaignsDir: string;
  readonly registryUri: string;
  readonly now: Date;
  /**
   * The run's trigger id. Given, members the re-entry rule keeps out (an earlier run's journey,
   * re-entry not allowed or in cooldown) are left out before ranking, so a weekly run does not
   * spend its slice and budget on customers whose journey would not start.
   */
  readonly runId?: string;
}

/** Members the re-entry rule lets into this run (the previous entries of other runs decide; same for both groups). */
async function enterable(table: string, campaign: CampaignDefinition, members: readonly CustomerFacts[], now: Date, runId: string, out: (id: string, why: string) => void): Promise<CustomerFacts[]> {
  const kept: CustomerFacts[] = [];
  for (let i = 0; i < members.length; i += 25) {
    const chunk = members.slice(i, i + 25);
    const previous = await Promise.all(chunk.map((m) => customerEntries(table, campaign.id, m.customerId)));
    chunk.forEach((m, j) => {
      const d = reentryDecision(previous[j]!, campaign.reentry, now, runId);
      if (d.allowed) kept.push(m);
      else out(m.customerId, `re-entry: ${d.reason}`);
    });
  }
  return kept;
}

function sizeText(campaign: CampaignDefinition): string {
  const t = campaign.targeting!;
  return t.top !== undefined ? `the top ${Math.round(t.top * 1000) / 10}%` : `the top ${t.count}`;
}

export async function planTargeting(ctx: TargetingContext, campaign: CampaignDefinition, members: readonly CustomerFacts[]): Promise<TargetingPlan> {
  const targeting = campaign.targeting;
  if (!targeting) throw new RangeError(`campaign ${campaign.id} has no targeting block`);
  let loading: Promise<UpliftSource> | undefined;
  const uplift = (): Promise<UpliftSource> => (loading ??= upliftSource(ctx.registryUri, ctx.table, ctx.now));
  let source: UpliftSource | undefined;
  try {
    source = await uplift();
  } catch (error) {
    // Churn targeting runs without an uplift model; uplift, expected value and ladders do not.
    if (!(error instanceof NoUpliftModelError) || needsUplift(campaign)) throw error;
  }

  const assignment = new Map(members.map((m) => [m.customerId, assignGroup(campaign.id, m.customerId, campaign.holdout, campaign.variants)]));
  const decisions = new Map<string, TargetDecision>();
  const base = (id: string): Pick<TargetDecision, 'customerId' | 'group' | 'variant'> => ({ customerId: id, group: assignment.get(id)!.group, variant: assignment.get(id)!.variant });

  const eligible = ctx.runId === undefined ? members : await enterable(ctx.table, campaign, members, ctx.now, ctx.runId, (id, why) => decisions.set(id, { ...base(id), selected: false, why }));
  const candidates: CampaignCandidate[] = [];
  for (const s of await scoreMembers(campaign, eligible, source)) {
    if ('candidate' in s) candidates.push(s.candidate);
    else decisions.set(s.customerId, { ...base(s.customerId), selected: false, why: s.excluded });
  }

  const selfBids = new Map(candidates.map((c) => [c.customerId, { facts: c.facts, value: bidValue(c) }]));
  const contenders = await contenderCampaigns(ctx.campaignsDir, campaign);
  const arbitration = contenders.length ? await arbitrateMembers({ table: ctx.table, now: ctx.now, uplift }, selfBids, campaign.id, contenders) : new Map<string, Arbitration>();
  const won = candidates.filter((c) => {
    const a = arbitration.get(c.customerId);
    if (!a || a.winner.campaignId === campaign.id) return true;
    decisions.set(c.customerId, { ...base(c.customerId), selected: false, why: `lost to ${a.winner.campaignId} (expected value ${a.winner.value.toFixed(2)} vs ${bidValue(c).toFixed(2)})`, arbitration: a });
    return false;
  });

  const left = await budgetLeft(ctx.table, campaign, ctx.now);
  const ranked = rankCandidates(won, targeting.by);
  const cut = cutRanking(ranked, {
    size: targeting.top !== undefined ? { top: targeting.top } : { count: targeting.count! },
    by: targeting.by,
    budgetLeft: left,
    isHoldout: (id) => assignment.get(id)!.group === 'holdout',
    // `top: 0.3` is 30 % of the eligible audience (as the YAML reference says), not of the ranked remainder.
    audienceSize: eligible.length,
  });
  const reasonsOf = (c: CampaignCandidate, rank: number): SendReasons => {
    const a = arbitration.get(c.customerId);
    const incentive = campaign.incentive;
    return {
      by: targeting.by,
      rank,
      churn: c.churn,
      clv: c.clv,
      ...(c.uplift !== undefined ? { uplift: c.uplift } : {}),
      ...(c.expectedValue !== undefined ? { expectedValue: c.expectedValue } : {}),
      cost: c.cost,
      ...(incentive && c.step !== undefined ? { incentive: { step: c.step, unit: incentive.unit, ...(incentive.currency ? { currency: incentive.currency } : {}) } } : {}),
      ...(source ? { upliftModel: source.version } : {}),
      ...(a ? { decision: { winner: a.winner, ...(a.runnerUp ? { runnerUp: a.runnerUp } : {}) } } : {}),
    };
  };
  for (const r of cut.selected) {
    const a = arbitration.get(r.candidate.customerId);
    decisions.set(r.candidate.customerId, { ...base(r.candidate.customerId), selected: true, reasons: reasonsOf(r.candidate, r.rank), ...(a ? { arbitration: a } : {}) });
  }
  const whyText = { 'below-cut': `below ${sizeText(campaign)} by ${targeting.by}`, 'not-positive': 'expected value not positive', budget: 'budget' } as const;
  for (const r of cut.dropped) {
    decisions.set(r.candidate.customerId, { ...base(r.candidate.customerId), selected: false, why: whyText[r.why], reasons: reasonsOf(r.candidate, r.rank) });
  }
  return { decisions, plannedSpend: cut.plannedSpend, budgetLeft: left, ...(source ? { upliftModel: source.version } : {}) };
}
