import { z } from 'zod';
import type { FeatureVector } from '../features.js';

/**
 * The customer-development health score: four components on 0-100 and their weighted mean, from
 * the same point-in-time features the models read (so it needs no model and explains itself).
 *
 *   activity      100 x 0.5^(d / 60), d = days since the last order or website visit (a visit of
 *                 the last 90 days); half the points after 60 days of silence, a quarter after
 *                 120; 0 for a customer with neither
 *   interaction   the mean of what the customer gives us room to measure: website visits in the
 *                 last 30 days (4 or more = full marks) and, when we emailed them in the last 90
 *                 days, their open rate (50% or more = full marks); 0 after a spam complaint, an
 *                 unsubscribe from everything or a hard bounce (the channel is gone)
 *   satisfaction  the mean of the latest NPS answer (score / 10) and the CSAT average of the last
 *                 365 days ((score - 1) / 4); unknown (null) when they never answered a survey
 *   complaints    100 minus 25 per complaint and 10 per other ticket of the last 90 days, minus 15
 *                 per high/critical one and 10 per ticket still open; never below 0
 *
 * Weights: activity 0.35, satisfaction 0.30, interaction 0.20, complaints 0.15. The score is the
 * weighted mean of the known components (an unknown satisfaction drops out and the other weights
 * are rescaled), rounded. Bands: good >= 70, fair 40-69, poor < 40.
 */
export const HEALTH_WEIGHTS = { activity: 0.35, satisfaction: 0.3, interaction: 0.2, complaints: 0.15 } as const;
export type HealthComponent = keyof typeof HEALTH_WEIGHTS;

export const ACTIVITY_HALF_LIFE_DAYS = 60;
export const HEALTH_BANDS = { good: 70, fair: 40 } as const;

export const HealthBand = z.enum(['good', 'fair', 'poor']);
export type HealthBand = z.infer<typeof HealthBand>;

const Points = z.number().min(0).max(100);
export const HealthScore = z.object({
  score: Points,
  band: HealthBand,
  components: z.object({
    activity: Points,
    interaction: Points,
    /** null: the customer never answered a survey. */
    satisfaction: Points.nullable(),
    complaints: Points,
  }),
});
export type HealthScore = z.infer<typeof HealthScore>;

const clamp = (x: number, lo = 0, hi = 1): number => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : lo);
const points = (x: number): number => Math.round(clamp(x) * 100);

export function healthBand(score: number): HealthBand {
  return score >= HEALTH_BANDS.good ? 'good' : score >= HEALTH_BANDS.fair ? 'fair' : 'poor';
}

export function healthScore(f: FeatureVector): HealthScore {
  // A visit counts from the last 90 days only: older than that, days_since_web_activity cannot
  // tell a visit from "never visited" (both read as the tenure), and 0.5^(90/60) is small anyway.
  const idle = Math.min(f.orders > 0 ? f.recency_days : Infinity, f.sessions_90d > 0 ? f.days_since_web_activity : Infinity);
  const activity = points(Number.isFinite(idle) ? 0.5 ** (idle / ACTIVITY_HALF_LIFE_DAYS) : 0);

  const channelGone = f.email_complaints_90d > 0 || f.unsubscribed_all > 0 || f.hard_bounced > 0;
  const parts = [clamp(f.sessions_30d / 4)];
  if (f.emails_sent_90d > 0) parts.push(clamp(f.email_open_rate_90d / 0.5));
  const interaction = channelGone ? 0 : points(parts.reduce((a, b) => a + b, 0) / parts.length);

  const answers = [
    ...(f.nps_responded > 0 ? [f.nps_latest] : []),
    ...(f.csat_responses_365d > 0 ? [f.csat_mean_365d] : []),
  ];
  const satisfaction = answers.length > 0 ? points(answers.reduce((a, b) => a + b, 0) / answers.length) : null;

  const penalty = 25 * f.complaints_90d + 10 * f.tickets_90d + 15 * f.severe_issues_90d + 10 * f.tickets_open;
  const complaints = Math.round(Math.max(0, 100 - penalty));

  const components = { activity, interaction, satisfaction, complaints };
  let sum = 0;
  let weight = 0;
  for (const [name, w] of Object.entries(HEALTH_WEIGHTS) as Array<[HealthComponent, number]>) {
    const v = components[name];
    if (v === null) continue;
    sum += w * v;
    weight += w;
  }
  const score = Math.round(sum / weight);
  return { score, band: healthBand(score), components };
}
