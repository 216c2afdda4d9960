import { checkEligibility, type EligibilityCaps } from '../campaigns/eligibility.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { queryCustomerEvents } from '../store/events.js';
import { readCustomerSnapshot, type CustomerSnapshot } from '../store/customer-snapshot.js';
import { journeyNow } from './clock.js';
import { JourneyStateError } from './errors.js';
import type { JourneyState } from './journey-state.js';
import { sendStep, type SendStepSettings } from './send-step.js';
import { eligibilityResult } from './send-time.js';

export interface SendNowSettings extends SendStepSettings {
  readonly caps: EligibilityCaps;
}

/**
 * A send step as the journey's Run task takes it: the send-time checks (every time: suppression,
 * consent, exit on conversion, frequency cap, quiet hours) and, when they pass, the send (rewards,
 * render, ledger claim, SES), from one Query of the customer's partition since entry
 * (store/customer-snapshot.ts) plus the suppression read. On the common path that is four DynamoDB
 * calls per email: that Query, the suppression BatchGetItem, the ledger claim and its completion.
 * The state comes back with `eligibility` and, when the checks passed, `send`.
 */
export async function checkAndSend(settings: SendNowSettings, campaign: CampaignDefinition, state: JourneyState, realNow: Date): Promise<JourneyState> {
  const progress = state.journey;
  if (!progress) throw new JourneyStateError('the journey has not been loaded (no $.journey)');
  const now = journeyNow(progress.startedAt, realNow, progress.scale);
  const snapshot = await readCustomerSnapshot(settings.table, state.customerId, progress.enteredAt);
  const result = await checkEligibility({
    table: settings.table,
    campaign,
    customerId: state.customerId,
    profile: snapshot.profile,
    now,
    caps: settings.caps,
    enteredAt: progress.enteredAt,
    known: { eventsSinceEntry: await eventsSinceEntry(settings.table, campaign, state.customerId, snapshot, progress.enteredAt, now), ledger: snapshot.ledger },
  });
  const eligibility = eligibilityResult(result, now, realNow, progress.scale);
  const checked: JourneyState = { ...state, eligibility };
  if (eligibility.decision !== 'eligible') return checked;
  return sendStep(settings, campaign, checked, realNow, { profile: snapshot.profile, score: snapshot.score, orders: snapshot.orders });
}

/**
 * The events the exit-on-conversion check looks at. An order goal (the default and every shipped
 * campaign's) can only match an order event, and every order event has a copy in the snapshot,
 * skew-corrected ones included: nothing more to read. Any other goal reads the events since entry
 * as before (the table's order and the byTime index).
 */
export async function eventsSinceEntry(
  table: string,
  campaign: Pick<CampaignDefinition, 'goal'>,
  customerId: string,
  snapshot: CustomerSnapshot,
  enteredAt: string,
  now: Date,
): Promise<readonly StoredEvent[]> {
  const from = new Date(enteredAt).toISOString();
  const to = now.toISOString();
  if (campaign.goal.event.kind === 'order') return snapshot.orders.filter((e) => e.timestamp >= from && e.timestamp < to);
  return queryCustomerEvents(table, customerId, { from, to });
}
