import type { SegmentMessage } from '../../functions/events/segment-event.js';
import { SATISFACTION_EVENTS } from '../../kernel/events/satisfaction-event.js';
import type { LatentCustomer } from './model.js';
import type { Rng } from './random.js';
import { DAY_MS, type Timeline } from './timeline.js';

/**
 * Survey answers and help-desk tickets, as a survey tool and a help desk would send them: after
 * some orders an NPS survey, sometimes a ticket (mostly resolved a few days later) or a complaint.
 * The latent story is the customer-development one: the order after which a customer drops out
 * is often a bad experience, so its answer is lower and a ticket or complaint likelier.
 *
 * Drawn from a generator of their own (`rng`), after everything else, so adding them left every
 * other simulated event, and its message id, as it was.
 */
export const NPS_SURVEY_RATE = 0.3;
const TICKET_RATE = { happy: 0.05, unhappy: 0.3 } as const;
const COMPLAINT_RATE = { happy: 0.01, unhappy: 0.15 } as const;
const CATEGORIES = ['delivery', 'quality', 'billing', 'returns'] as const;

const clampScore = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(x)));

function track(tl: Timeline, ms: number, event: string, properties: Record<string, unknown>): void {
  tl.push(ms, (at) => ({
    kind: 'segment',
    at,
    message: { type: 'track', messageId: tl.nextMessageId(), timestamp: at, userId: tl.customerId, event, properties } satisfies SegmentMessage,
  }));
}

export function satisfactionSignals(tl: Timeline, rng: Rng, c: LatentCustomer): void {
  const lastBeforeLapse = Number.isFinite(c.lapseDay) ? c.purchaseDays.length - 1 : -1;
  c.purchaseDays.forEach((day, i) => {
    const mood = i === lastBeforeLapse ? 'unhappy' : 'happy';
    const orderMs = tl.msOfDay(day);
    if (rng.bernoulli(TICKET_RATE[mood])) {
      const ticketId = `${tl.customerId}-t${i + 1}`;
      const category = rng.pick(CATEGORIES);
      const severity = rng.weighted([['low', 3], ['medium', 4], ['high', mood === 'unhappy' ? 3 : 1]] as const);
      const openedMs = orderMs + Math.round(rng.uniform(1, 7) * DAY_MS);
      track(tl, openedMs, SATISFACTION_EVENTS.ticketOpened, { ticketId, category, severity });
      if (rng.bernoulli(0.85)) track(tl, openedMs + Math.round(rng.uniform(0.2, 5) * DAY_MS), SATISFACTION_EVENTS.ticketResolved, { ticketId, category });
    }
    if (rng.bernoulli(COMPLAINT_RATE[mood])) {
      track(tl, orderMs + Math.round(rng.uniform(2, 10) * DAY_MS), SATISFACTION_EVENTS.complaint, { category: rng.pick(CATEGORIES), severity: rng.weighted([['medium', 2], ['high', 2], ['critical', 1]] as const) });
    }
    if (rng.bernoulli(NPS_SURVEY_RATE)) {
      const score = mood === 'unhappy' ? clampScore(rng.normal(4.5, 2.2), 0, 10) : clampScore(rng.normal(8, 1.6), 0, 10);
      track(tl, orderMs + Math.round(rng.uniform(2, 6) * DAY_MS), SATISFACTION_EVENTS.survey, { score, scale: 'nps', surveyId: 'post-purchase-nps' });
    }
  });
}
