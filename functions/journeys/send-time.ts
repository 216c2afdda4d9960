import { capsFromConfig, checkEligibility } from '../campaigns/eligibility.js';
import type { Config } from '../commons/config.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { getProfile } from '../store/profiles.js';
import { journeyNow, realWakeAt } from './clock.js';
import type { EligibilityResult, JourneyState } from './journey-state.js';
import { JourneyStateError } from './errors.js';

/**
 * CheckEligibility: the domain's send-time checks (consent for the topic, suppression, frequency
 * cap, quiet hours in the customer's timezone), on the journey clock. Quiet hours come back as a
 * delay whose wake-up is converted to a real instant for the QuietHours Wait state.
 */
export async function eligibilityStep(
  table: string,
  campaign: CampaignDefinition,
  state: JourneyState,
  realNow: Date,
  config: Config,
): Promise<JourneyState> {
  const progress = state.journey;
  if (!progress) throw new JourneyStateError('the journey has not been loaded (no $.journey)');
  const now = journeyNow(progress.startedAt, realNow, progress.scale);
  const profile = await getProfile(table, state.customerId);
  const result = await checkEligibility({
    table,
    campaign,
    customerId: state.customerId,
    profile,
    now,
    caps: capsFromConfig(config),
    enteredAt: progress.enteredAt,
  });
  let eligibility: EligibilityResult;
  if (result.eligible) eligibility = { decision: 'eligible' };
  else if (result.retryAt) {
    const retryAt = new Date(result.retryAt);
    eligibility = {
      decision: 'delay',
      reason: result.reason,
      retryAt: retryAt.toISOString(),
      wakeAt: realWakeAt(retryAt, now, realNow, progress.scale).toISOString(),
    };
  } else eligibility = { decision: 'ineligible', reason: result.reason };
  return { ...state, eligibility };
}
