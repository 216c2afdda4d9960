import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { reserveRunSlot, saveRunFailure, saveRunTotals, type RunTotals } from '../store/campaign-runs.js';
import { audiencePage, audienceSources } from './audience.js';
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
  for (const member of page.members) {
    if (limit !== undefined && !(await reserveRunSlot(ctx.table, ctx.campaign.id, state.runId, limit))) {
      excluded++;
      excludedBy['send limit per run'] = (excludedBy['send limit per run'] ?? 0) + 1;
      continue;
    }
    const input: JourneyInput = {
      campaignId: ctx.campaign.id,
      customerId: member.customerId,
      triggerId: state.runId,
      trigger: { type: ctx.campaign.trigger.type === 'schedule' ? 'schedule' : 'manual', at: ctx.now.toISOString() },
    };
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
