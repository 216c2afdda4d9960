import { capsFromConfig, checkEligibility, type Eligibility } from '../campaigns/eligibility.js';
import type { Config } from '../commons/config.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { getProfile } from '../store/profiles.js';
import { journeyNow, realWakeAt } from './clock.js';
import type { EligibilityResult, JourneyState } from './journey-state.js';
import { JourneyStateError } from './errors.js';

/**
 * CheckEligibility: the domain's send-time checks (consent for the topic, suppression, frequency
 * cap, quiet hours in the customer's timezone), on the journey clock. Quiet hours come back as a
 * delay whose wake-up is converted to a real instant for the state machine's Wait state.
 * (The journey's Run task checks through send-now.ts, from one read of the customer's partition;
 * this form reads what it needs itself.)
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
  return { ...state, eligibility: eligibilityResult(result, now, realNow, progress.scale) };
}

/** The domain's answer as the journey carries it: a delay's retry time also as a real wake-up instant. */
export function eligibilityResult(result: Eligibility, now: Date, realNow: Date, scale: number): EligibilityResult {
  if (result.eligible) return { decision: 'eligible' };
  if (result.retryAt) {
    const retryAt = new Date(result.retryAt);
    return {
      decision: 'delay',
      reason: result.reason,
      retryAt: retryAt.toISOString(),
      wakeAt: realWakeAt(retryAt, now, realNow, scale).toISOString(),
    };
  }
  return { decision: 'ineligible', reason: result.reason };
}
