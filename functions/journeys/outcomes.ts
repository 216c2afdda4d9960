import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { matchesEvent, type EventMatcher } from '../campaigns/matchers.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { mapLimited } from '../commons/concurrency.js';
import { queryCustomerEvents } from '../store/events.js';
import { listEntries, type EntryRecord } from '../store/journey-entries.js';
import { describeSample, newcombeDifference, waldDifference, welchDifference, type Interval } from './statistics.js';

/**
 * Campaign outcomes, per group (treatment vs holdout) and per variant, from the journey entries
 * and the ingested events within each entry's attribution window [enteredAt, enteredAt + window]:
 *  - email funnel from SES events tagged with the campaign (sent, delivered, opened, clicked,
 *    bounced, complained; opens and clicks count messages, not repeat opens) and unsubscribes
 *    (an SES subscription event of the campaign, or a consent withdrawal for the campaign's topic
 *    or for everything within the window);
 *  - conversions: entries with at least one goal event in the window; revenue: net order revenue
 *    in the window (placed, less the same orders cancelled or refunded in the window).
 * The window starts at entry for both groups (intent to treat): a holdout customer has no send to
 * start from, and starting treatment at its first send would compare different windows.
 */
/** The email funnel: messages sent, delivered, opened, clicked, bounced, complained about. */
export interface EmailFunnel {
  readonly sent: number;
  readonly delivered: number;
  readonly opened: number;
  readonly clicked: number;
  readonly bounced: number;
  readonly complained: number;
}

export interface OutcomeMetrics extends EmailFunnel {
  readonly entered: number;
  readonly unsubscribed: number;
  readonly converted: number;
  readonly revenue: number;
  readonly conversionRate: number;
  readonly revenuePerCustomer: number;
}

export interface Uplift {
  readonly conversion: Interval & { readonly method: 'newcombe-hybrid-score'; readonly wald: Interval };
  readonly revenuePerCustomer: Interval & { readonly method: 'welch-t'; readonly degreesOfFreedom: number };
}

export interface VariantOutcome {
  readonly variant: string;
  readonly treatment: OutcomeMetrics;
  readonly holdout: OutcomeMetrics;
  /** This variant's treatment against the whole holdout (every holdout customer, whatever their variant). */
  readonly uplift: Uplift;
}

export interface CampaignReport {
  readonly campaignId: string;
  readonly asOf: string;
  readonly attributionWindowMs: number;
  readonly treatment: OutcomeMetrics;
  readonly holdout: OutcomeMetrics;
  readonly uplift: Uplift;
  readonly variants: VariantOutcome[];
  /** Journeys by how they ended (active, completed, exited, converted, failed). */
  readonly journeys: Record<string, number>;
  /** Why journeys exited (ineligible at send time, exit steps...). */
  readonly exitReasons: Record<string, number>;
}

/** One entry's facts within its window (pure; the input of the aggregation). */
export interface EntryOutcome extends EmailFunnel {
  readonly group: 'treatment' | 'holdout';
  readonly variant: string;
  readonly unsubscribed: boolean;
  readonly converted: boolean;
  readonly revenue: number;
}

export function entryOutcome(
  entry: Pick<EntryRecord, 'group' | 'variant' | 'enteredAt'>,
  events: readonly StoredEvent[],
  opts: { campaignId: string; topic: string; goal: EventMatcher; windowMs: number; asOf: Date },
): EntryOutcome {
  const from = entry.enteredAt;
  const to = new Date(Math.min(Date.parse(entry.enteredAt) + opts.windowMs, opts.asOf.getTime())).toISOString();
  const inWindow = events.filter((e) => e.timestamp >= from && e.timestamp <= to);
  const messages = (type: string): number =>
    new Set(inWindow.filter((e) => e.kind === 'email' && e.email?.type === type && e.email.campaignId === opts.campaignId).map((e) => e.email!.messageId)).size;
  const unsubscribed = inWindow.some((e) => {
    if (e.kind === 'email' && e.email?.type === 'subscription') {
      return e.email.campaignId === opts.campaignId || e.email.unsubscribedAll === true || (e.email.unsubscribedTopics ?? []).includes(opts.topic);
    }
    const consent = e.traits?.['consent'] as Record<string, unknown> | undefined;
    return consent !== undefined && (consent[opts.topic] === false || consent['*'] === false);
  });
  const placed = new Map<string, number>();
  for (const e of inWindow) if (e.kind === 'order' && e.name === 'placed' && e.order) placed.set(e.order.orderId, e.order.total);
  for (const e of inWindow) if (e.kind === 'order' && e.name !== 'placed' && e.order && placed.has(e.order.orderId)) placed.set(e.order.orderId, 0);
  return {
    group: entry.group,
    variant: entry.variant,
    sent: messages('send'),
    delivered: messages('delivery'),
    opened: messages('open'),
    clicked: messages('click'),
    bounced: messages('bounce'),
    complained: messages('complaint'),
    unsubscribed,
    converted: inWindow.some((e) => matchesEvent(opts.goal, e)),
    revenue: [...placed.values()].reduce((s, v) => s + v, 0),
  };
}

export function aggregate(outcomes: readonly EntryOutcome[]): OutcomeMetrics {
  const sum = (f: (o: EntryOutcome) => number): number => outcomes.reduce((s, o) => s + f(o), 0);
  const entered = outcomes.length;
  const converted = sum((o) => (o.converted ? 1 : 0));
  const revenue = Math.round(sum((o) => o.revenue) * 100) / 100;
  return {
    entered,
    sent: sum((o) => o.sent),
    delivered: sum((o) => o.delivered),
    opened: sum((o) => o.opened),
    clicked: sum((o) => o.clicked),
    bounced: sum((o) => o.bounced),
    complained: sum((o) => o.complained),
    unsubscribed: sum((o) => (o.unsubscribed ? 1 : 0)),
    converted,
    revenue,
    conversionRate: entered ? converted / entered : NaN,
    revenuePerCustomer: entered ? sum((o) => o.revenue) / entered : NaN,
  };
}

export function uplift(treatment: readonly EntryOutcome[], holdout: readonly EntryOutcome[]): Uplift {
  const xt = treatment.filter((o) => o.converted).length;
  const xh = holdout.filter((o) => o.converted).length;
  const welch = welchDifference(describeSample(treatment.map((o) => o.revenue)), describeSample(holdout.map((o) => o.revenue)));
  return {
    conversion: { ...newcombeDifference(xt, treatment.length, xh, holdout.length), method: 'newcombe-hybrid-score', wald: waldDifference(xt, treatment.length, xh, holdout.length) },
    revenuePerCustomer: { estimate: welch.estimate, lower: welch.lower, upper: welch.upper, method: 'welch-t', degreesOfFreedom: welch.degreesOfFreedom },
  };
}

export function buildReport(
  campaign: Pick<CampaignDefinition, 'id'> & { readonly attributionWindowMs: number },
  entries: readonly EntryRecord[],
  outcomes: readonly EntryOutcome[],
  asOf: Date,
): CampaignReport {
  const t = outcomes.filter((o) => o.group === 'treatment');
  const h = outcomes.filter((o) => o.group === 'holdout');
  const variants = [...new Set(outcomes.map((o) => o.variant))].sort();
  const journeys: Record<string, number> = {};
  const exitReasons: Record<string, number> = {};
  for (const e of entries) {
    journeys[e.status] = (journeys[e.status] ?? 0) + 1;
    if (e.status === 'exited') exitReasons[e.reason ?? 'exit'] = (exitReasons[e.reason ?? 'exit'] ?? 0) + 1;
  }
  return {
    campaignId: campaign.id,
    asOf: asOf.toISOString(),
    attributionWindowMs: campaign.attributionWindowMs,
    treatment: aggregate(t),
    holdout: aggregate(h),
    uplift: uplift(t, h),
    variants: variants.map((variant) => {
      const vt = t.filter((o) => o.variant === variant);
      return { variant, treatment: aggregate(vt), holdout: aggregate(h.filter((o) => o.variant === variant)), uplift: uplift(vt, h) };
    }),
    journeys,
    exitReasons,
  };
}

/** The report of a campaign from the table: every entry, and each entrant's events in their window. */
export async function campaignReport(table: string, campaign: CampaignDefinition, asOf: Date, concurrency = 16): Promise<CampaignReport> {
  const entries = await listEntries(table, campaign.id);
  const windowMs = campaign.goal.attributionWindow;
  const outcomes = await mapLimited(entries, concurrency, async (entry) => {
    const to = new Date(Math.min(Date.parse(entry.enteredAt) + windowMs, asOf.getTime()) + 1);
    const events = await queryCustomerEvents(table, entry.customerId, { from: entry.enteredAt, to: to.toISOString() });
    return entryOutcome(entry, events, { campaignId: campaign.id, topic: campaign.topic, goal: campaign.goal.event, windowMs, asOf });
  });
  return buildReport({ id: campaign.id, attributionWindowMs: windowMs }, entries, outcomes, asOf);
}
