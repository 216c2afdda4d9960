import { resolveSend, type CampaignDefinition } from '../campaigns/definition/schema.js';
import { recommendedProducts } from '../campaigns/recommendations.js';
import { renderMessage } from '../campaigns/render.js';
import { ladderCoupon } from '../campaigns/budgets.js';
import { creditPoints, issueCoupon, type Coupon } from '../campaigns/rewards.js';
import { pointsBalance } from '../store/rewards.js';
import { isSendableAddress, sendCampaignEmail } from '../campaigns/send.js';
import { unsubscribeLinks } from '../campaigns/tokens.js';
import { queryCustomerEvents } from '../store/events.js';
import { getProfile, type CustomerProfile } from '../store/profiles.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { getScore } from '../store/scores.js';
import { journeyNow } from './clock.js';
import { JourneyStateError } from './errors.js';
import { journeyExecutionName } from './execution-name.js';
import type { JourneyState, SendResult } from './journey-state.js';

/** The customer as the caller already read it (store/customer-snapshot.ts): the send step reads nothing more. */
export interface KnownCustomer {
  readonly profile: CustomerProfile | undefined;
  readonly score: CustomerScore | undefined;
  /** The customer's order events (recommendations look at nothing else). */
  readonly orders: readonly StoredEvent[];
}

export interface SendStepSettings {
  readonly table: string;
  readonly publicBaseUrl: string;
  readonly unsubscribeTokenDays: number;
}

/**
 * Send: the rewards of the entry (coupon, points; treatment only, once per entry), the rendered
 * message, then the domain's exactly-once send (ledger claim before SES). Holdout customers go
 * through the same call, which records them on the ledger without sending anything.
 * The entry id is the execution name: deterministic, so every retry converges on the same coupon,
 * points credit and ledger item.
 */
export async function sendStep(
  settings: SendStepSettings,
  campaign: CampaignDefinition,
  state: JourneyState,
  realNow: Date,
  known?: KnownCustomer,
): Promise<JourneyState> {
  const progress = state.journey;
  if (!progress) throw new JourneyStateError('the journey has not been loaded (no $.journey)');
  const step = campaign.steps[progress.step.index];
  if (!step || !('send' in step)) throw new JourneyStateError(`step ${progress.step.index} of ${campaign.id} is not a send step`);
  const resolved = resolveSend(campaign, step, progress.variant);
  const result = (send: Omit<SendResult, 'stepId'>): JourneyState => ({ ...state, send: { ...send, stepId: step.id } });
  if (!resolved) return result({ status: 'skipped', reason: 'other-variant' });

  const now = journeyNow(progress.startedAt, realNow, progress.scale);
  const entryId = journeyExecutionName(state);
  const common = {
    table: settings.table,
    campaign,
    customerId: state.customerId,
    stepId: step.id,
    entryId,
    variant: progress.variant,
    template: resolved.template,
    now: () => new Date(),
    ...(state.reasons ? { reasons: state.reasons } : {}),
  };
  if (progress.group === 'holdout') {
    const out = await sendCampaignEmail({ ...common, group: 'holdout' });
    return result({ status: out.status === 'duplicate' ? 'duplicate' : 'holdout' });
  }

  const [profile, score, events] = known
    ? [known.profile, known.score, known.orders]
    : await Promise.all([
        getProfile(settings.table, state.customerId),
        getScore(settings.table, state.customerId),
        queryCustomerEvents(settings.table, state.customerId, { to: now.toISOString() }),
      ]);
  const email = profile?.email;
  if (!profile || !email) return result({ status: 'skipped', reason: 'no-email' });
  // Stored before the edge refused such values (or by a source that does not check): a reason, not a failed journey.
  if (!isSendableAddress(email)) return result({ status: 'skipped', reason: 'invalid-email' });

  let coupon: Coupon | undefined;
  // A ladder campaign's coupon is the step its targeting plan chose for this customer.
  const couponReward = ladderCoupon(campaign, state.reasons) ?? campaign.rewards?.coupon;
  if (couponReward) {
    coupon = await issueCoupon({ table: settings.table, campaignId: campaign.id, customerId: state.customerId, entryId, reward: couponReward, now });
  }
  let points: { balance: number; awarded?: number } | undefined;
  if (campaign.rewards?.points) {
    await creditPoints({
      table: settings.table,
      customerId: state.customerId,
      entryId,
      amount: campaign.rewards.points.amount,
      campaignId: campaign.id,
      reason: `campaign ${campaign.id}`,
      now,
    });
    points = { balance: await pointsBalance(settings.table, state.customerId), awarded: campaign.rewards.points.amount };
  }
  const links = unsubscribeLinks(
    { customerId: state.customerId, email, topic: campaign.topic, campaignId: campaign.id },
    { baseUrl: settings.publicBaseUrl, now, ttlDays: settings.unsubscribeTokenDays },
  );
  const message = await renderMessage({
    template: resolved.template,
    customer: { customerId: state.customerId, traits: profile.traits, ...(score ? { tier: score.tier, stage: score.stage } : {}) },
    campaign: { id: campaign.id, name: campaign.name },
    variant: progress.variant,
    ...(coupon ? { coupon } : {}),
    ...(points ? { points } : {}),
    recommendations: recommendedProducts(events, 3),
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
    ...(resolved.subject ? { subject: resolved.subject } : {}),
    ...(resolved.preheader ? { preheader: resolved.preheader } : {}),
  });
  const out = await sendCampaignEmail({ ...common, group: 'treatment', message, to: email });
  switch (out.status) {
    case 'sent':
      return result({ status: 'sent', messageId: out.messageId });
    case 'duplicate':
      return result({ status: 'duplicate' });
    case 'holdout':
      return result({ status: 'holdout' });
    case 'failed':
      return result({ status: 'failed', reason: out.reason.split(':')[0] ?? 'failed' });
    case 'pending':
      return result({ status: 'pending', reason: 'outcome-unknown' });
  }
}
