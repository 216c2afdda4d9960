import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { JourneyStepEvent, type JourneyState } from './journeys/journey-state.js';
import { eligibilityStep } from './journeys/send-time.js';

/** CheckEligibility task: `{ state }` in, the state with `eligibility` out (eligible / delay / ineligible + reason). */
export const handler = taskHandler(JourneyStepEvent, async ({ state }): Promise<JourneyState> => {
  const config = getConfig();
  const campaign = await campaignById(config.CAMPAIGNS_DIR, state.campaignId);
  const next = await eligibilityStep(config.TABLE_NAME, campaign, state, new Date(), config);
  if (next.eligibility?.decision !== 'eligible') {
    logger.debug('not eligible now', { campaignId: campaign.id, decision: next.eligibility?.decision, reason: next.eligibility?.reason });
  }
  return next;
});
