import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { getConfig } from '../../functions/commons/config.js';
import { sweepCampaign } from '../../functions/journeys/triggers.js';
import type { JourneyStarter } from '../../functions/journeys/starter.js';

/**
 * The campaign trigger sweep of the CDK stack (functions/campaign-triggers.ts: every active
 * campaign, sweepCampaign), run by the local scheduler at a virtual tick. One difference: the
 * look-back window. The Lambda looks back a fixed TRIGGER_LOOKBACK_MINUTES because Scheduler
 * ticks every 15 minutes; locally ticks are coalesced or skipped while another job runs, so each
 * sweep looks back to the previous one (plus the usual margin), and on the right clock:
 *  - score crossings, tier changes and schedule ticks happen at virtual times (scoring runs at
 *    virtual ticks): the window starts at the previous sweep's virtual instant;
 *  - events (cart adds, first orders) carry the wall-clock time they were sent, which lags the
 *    virtual clock: the window starts at the previous sweep's wall instant.
 * Trigger ids come from the facts, so overlapping windows start nothing twice.
 */
export interface SweepWindow {
  /** Virtual instant of the previous sweep (or of the start-up cycle). */
  readonly virtualSince: Date;
  /** Wall instant of the previous sweep. */
  readonly wallSince: Date;
}

export interface SweepTotals {
  readonly started: Record<string, number>;
  readonly duplicates: number;
  readonly invalid: number;
}

export function lookbackMs(campaign: CampaignDefinition, at: Date, window: SweepWindow, marginMs: number): number {
  const wallFacts = campaign.trigger.type === 'event' || campaign.trigger.type === 'first-order';
  const since = (wallFacts ? window.wallSince : window.virtualSince).getTime() - marginMs;
  return Math.max(marginMs, at.getTime() - since);
}

export async function sweepTriggers(opts: { table: string; campaignsDir: string; starter: JourneyStarter; at: Date; window: SweepWindow }): Promise<SweepTotals> {
  const margin = getConfig().TRIGGER_LOOKBACK_MINUTES * 60_000;
  const started: Record<string, number> = {};
  let duplicates = 0;
  let invalid = 0;
  for (const file of await validateCampaigns(opts.campaignsDir)) {
    if (!file.campaign) {
      invalid++;
      continue;
    }
    if (file.campaign.status !== 'active') continue;
    const result = await sweepCampaign(
      { table: opts.table, now: opts.at, lookbackMs: lookbackMs(file.campaign, opts.at, opts.window, margin), starter: opts.starter },
      file.campaign,
    );
    if (result.started) started[result.campaignId] = result.started;
    duplicates += result.duplicates;
  }
  return { started, duplicates, invalid };
}
