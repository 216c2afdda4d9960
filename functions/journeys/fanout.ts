import { commitIncentive } from '../campaigns/budgets.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import type { SendReasons } from '../campaigns/reasons.js';
import { planTargeting, type TargetingPlan } from '../campaigns/targeting-plan.js';
import { putArbitrationRecord } from '../store/arbitration.js';
import { reserveRunSlot, saveRunFailure, saveRunTotals, type RunTotals } from '../store/campaign-runs.js';
import { audiencePage, audienceSources, resolveAudience } from './audience.js';
import { journeyExecutionName } from './execution-name.js';
import type { AudienceSource, FanoutShardState, JourneyInput } from './journey-state.js';
import type { JourneyStarter } from './starter.js';

/**
 * The fan-out machine's steps: Plan (the audience sources), StartJourneys (one page of one
 * source: members that pass the filters, one journey each, named by (campaign, customer, run)),
 * Summarize (the run record). A re-run of the same run id starts nothing new: every name exists.
 */
export function plan(campaign: CampaignDefinition, input: { campaignId: string; runId: string }): { campaignId: string; runId: string; sources: AudienceSource[] } {
  return { campaignId: input.campaignId, runId: input.runId, sources: audienceSources(campaign.audience) };
}

export interface PageContext {
  readonly table: string;
  readonly campaign: CampaignDefinition;
  readonly starter: JourneyStarter;
  readonly now: Date;
  readonly pageSize?: number;
  /** Where a targeted campaign's contenders and uplift model are (functions/campaigns/targeting-plan.ts). */
  readonly targeting?: { readonly campaignsDir: string; readonly registryUri: string };
}

/**
 * A targeted campaign's plan for a run, computed once per process over the whole audience (a
 * ranking needs all of it) and reused by the run's pages. Deterministic from the scores and the
 * definitions, so pages in other containers compute the same plan; scores rewritten mid-run can
 * move the cut (a limit: at scale the plan would be one pass that stores per-customer decisions).
 */
const plans = new Map<string, Promise<TargetingPlan>>();

function runPlan(ctx: PageContext, runId: string): Promise<TargetingPlan> {
  const key = `${ctx.campaign.id}\u0000${runId}`;
  let plan = plans.get(key);
  if (!plan) {
    const where = ctx.targeting ?? { campaignsDir: 'campaigns', registryUri: 'file://.winback/models' };
    plan = resolveAudience(ctx.table, ctx.campaign, ctx.now).then((audience) =>
      planTargeting({ table: ctx.table, campaignsDir: where.campaignsDir, registryUri: where.registryUri, now: ctx.now, runId }, ctx.campaign, audience.members),
    );
    plans.set(key, plan);
    plan.catch(() => plans.delete(key));
    // A warm container serves run after run: keep the latest few plans only.
    while (plans.size > 8) plans.delete(plans.keys().next().value!);
  }
  return plan;
}

/**
 * Whether the plan starts this member's journey, and with which reasons and group; a member left
 * out because another campaign won them has the decision recorded on the customer.
 */
async function plannedStart(ctx: PageContext, runId: string, customerId: string): Promise<{ reasons?: SendReasons; treated?: boolean; excluded?: string }> {
  const plan = await runPlan(ctx, runId);
  const d = plan.decisions.get(customerId);
  if (d?.selected) return { reasons: d.reasons!, treated: d.group === 'treatment' };
  if (d?.arbitration && d.arbitration.winner.campaignId !== ctx.campaign.id) {
    const a = d.arbitration;
    const own = [a.winner, a.runnerUp].find((b) => b?.campaignId === ctx.campaign.id)?.value ?? Number.NaN;
    await putArbitrationRecord(ctx.table, { customerId, campaignId: ctx.campaign.id, runId, value: own, winner: a.winner, ...(a.runnerUp ? { runnerUp: a.runnerUp } : {}), at: ctx.now.toISOString() });
  }
  // Per-customer figures stay out of the run's counts: "lost to x (expected value 3.1 vs 2.0)" counts as "lost to x".
  return { excluded: (d?.why ?? 'not in the targeting plan').replace(/ \(.*\)$/, '') };
}

export async function startPage(ctx: PageContext, state: FanoutShardState): Promise<FanoutShardState> {
  const page = await audiencePage(ctx.table, ctx.campaign, state.source, ctx.now, {
    ...(state.cursor ? { cursor: state.cursor } : {}),
    limit: ctx.pageSize ?? 250,
  });
  let started = state.started;
  let duplicates = state.duplicates;
  const excludedBy: Record<string, number> = { ...(state.excludedBy ?? {}) };
  for (const [k, v] of Object.entries(page.excluded)) excludedBy[k] = (excludedBy[k] ?? 0) + v;
  let excluded = state.excluded + Object.values(page.excluded).reduce((a, b) => a + b, 0);
  const limit = ctx.campaign.sendLimitPerRun;
  const skip = (reason: string): void => {
    excluded++;
    excludedBy[reason] = (excludedBy[reason] ?? 0) + 1;
  };
  for (const member of page.members) {
    const input: JourneyInput = {
      campaignId: ctx.campaign.id,
      customerId: member.customerId,
      triggerId: state.runId,
      trigger: { type: ctx.campaign.trigger.type === 'schedule' ? 'schedule' : 'manual', at: ctx.now.toISOString() },
    };
    const planned = ctx.campaign.targeting ? await plannedStart(ctx, state.runId, member.customerId) : {};
    if (planned.excluded) {
      skip(planned.excluded);
      continue;
    }
    if (limit !== undefined && !(await reserveRunSlot(ctx.table, ctx.campaign.id, state.runId, limit))) {
      skip('send limit per run');
      continue;
    }
    if (planned.reasons) {
      input.reasons = planned.reasons;
      // Committed once per journey name: a retried page or a duplicated start counts it once.
      if (planned.treated && planned.reasons.cost > 0) {
        const r = await commitIncentive(ctx.table, ctx.campaign, { commitmentId: journeyExecutionName(input), cost: planned.reasons.cost, now: ctx.now });
        if (!r.reserved) {
          skip('budget exhausted');
          continue;
        }
      }
    }
    const result = await ctx.starter.startJourney(input);
    if (result.started) started++;
    else duplicates++;
  }
  const { cursor: _previous, ...rest } = state;
  return { ...rest, started, duplicates, excluded, excludedBy, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export interface RunSummary extends RunTotals {
  readonly campaignId: string;
  readonly runId: string;
}

export async function summarize(table: string, state: { campaignId: string; runId: string; shardResults?: FanoutShardState[] }, now: Date): Promise<RunSummary> {
  const results = state.shardResults ?? [];
  const excludedBy: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.excludedBy ?? {})) excludedBy[k] = (excludedBy[k] ?? 0) + v;
  const summary: RunSummary = {
    campaignId: state.campaignId,
    runId: state.runId,
    started: results.reduce((s, r) => s + r.started, 0),
    duplicates: results.reduce((s, r) => s + r.duplicates, 0),
    excluded: results.reduce((s, r) => s + r.excluded, 0),
    excludedBy,
  };
  await saveRunTotals(table, state.campaignId, state.runId, summary, now);
  return summary;
}

export async function recordRunFailure(table: string, state: { campaignId?: string; runId?: string; error?: { Error?: string } }, now: Date): Promise<void> {
  if (!state.campaignId || !state.runId) return;
  await saveRunFailure(table, state.campaignId, state.runId, state.error?.Error ?? 'Unknown', now);
}
