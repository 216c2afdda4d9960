import { loadSecrets } from './campaigns/secrets.js';
import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { JourneyStepEvent, type JourneyState } from './journeys/journey-state.js';
import { sendStep } from './journeys/send-step.js';

/** Send task: `{ state }` in, the state with `send` (status, SES message id) out. */
export const handler = taskHandler(JourneyStepEvent, async ({ state }): Promise<JourneyState> => {
  const config = getConfig();
  // Unsubscribe links and coupon codes are signed with the key from Secrets Manager (in AWS).
  await loadSecrets();
  const campaign = await campaignById(config.CAMPAIGNS_DIR, state.campaignId);
  const next = await sendStep(
    { table: config.TABLE_NAME, publicBaseUrl: config.PUBLIC_BASE_URL, unsubscribeTokenDays: config.UNSUBSCRIBE_TOKEN_DAYS },
    campaign,
    state,
    new Date(),
  );
  if (next.send?.status === 'failed' || next.send?.status === 'pending') {
    logger.warn('campaign email not sent', { campaignId: campaign.id, stepId: next.send.stepId, status: next.send.status, reason: next.send.reason });
  }
  return next;
});
