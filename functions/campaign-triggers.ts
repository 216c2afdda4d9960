import { z } from 'zod';
import { validateCampaigns } from './campaigns/definition/load.js';
import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { journeyStarter } from './journeys/starter.js';
import { sweepCampaign, type SweepResult } from './journeys/triggers.js';

export const TriggerSweepEvent = z.object({
  /** The schedule tick (EventBridge Scheduler's scheduled time); default now. */
  at: z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO-8601 time' }).optional(),
  /** Only these campaigns (default: every active one). */
  campaignIds: z.array(z.string().min(1)).optional(),
});
export type TriggerSweepEvent = z.infer<typeof TriggerSweepEvent>;

/**
 * The trigger sweep (every 15 minutes): every active campaign's trigger is evaluated over the
 * look-back window and its journeys started. A campaign file that does not validate is logged and
 * skipped; the others still run.
 */
export const handler = taskHandler(TriggerSweepEvent, async (event): Promise<SweepResult[]> => {
  const config = getConfig();
  const now = event.at ? new Date(event.at) : new Date();
  const starter = journeyStarter({
    ...(config.JOURNEY_STATE_MACHINE_ARN ? { journey: config.JOURNEY_STATE_MACHINE_ARN } : {}),
    ...(config.FANOUT_STATE_MACHINE_ARN ? { fanout: config.FANOUT_STATE_MACHINE_ARN } : {}),
  });
  const results: SweepResult[] = [];
  for (const file of await validateCampaigns(config.CAMPAIGNS_DIR)) {
    if (!file.campaign) {
      logger.error('campaign file skipped: invalid', { file: file.file, problems: file.errors.length });
      continue;
    }
    if (file.campaign.status !== 'active') continue;
    if (event.campaignIds && !event.campaignIds.includes(file.campaign.id)) continue;
    const result = await sweepCampaign(
      { table: config.TABLE_NAME, now, lookbackMs: config.TRIGGER_LOOKBACK_MINUTES * 60_000, starter },
      file.campaign,
    );
    logger.info('trigger sweep', { campaignId: result.campaignId, candidates: result.candidates.length, started: result.started, duplicates: result.duplicates });
    results.push({ ...result, candidates: [] });
  }
  return results;
});
