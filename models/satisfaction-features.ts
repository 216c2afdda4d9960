import type { StoredEvent } from '../kernel/events/stored-event.js';
import {
  NPS_DETRACTOR_MAX,
  NPS_PROMOTER_MIN,
  SATISFACTION_EVENTS,
  normalisedScore,
  surveyOf,
} from '../kernel/events/satisfaction-event.js';

/**
 * The satisfaction, complaints and acquisition features (models/features.ts adds them to the
 * feature list): what surveys and the help desk say about a customer, and where the customer came
 * from. Pure, point in time: the caller passes only events before the cutoff.
 *
 * "No answer" is not "a bad answer": a customer who never answered a survey gets 0 for the score
 * features and 0 for the matching `*_responded` / count feature, which tells the model which case
 * it is in (the same device as has_repeat_purchase for the order gaps).
 */
export const SATISFACTION_FEATURES = [
  'nps_latest',
  'nps_responded',
  'nps_detractor',
  'nps_promoter',
  'csat_mean_365d',
  'csat_responses_365d',
  'tickets_open',
  'tickets_90d',
  'complaints_90d',
  'severe_issues_90d',
] as const;
export const ACQUISITION_FEATURES = ['acquired_paid', 'acquired_email'] as const;
export type SatisfactionFeatureName = (typeof SATISFACTION_FEATURES)[number] | (typeof ACQUISITION_FEATURES)[number];

export interface SatisfactionFeatureSpec {
  readonly name: SatisfactionFeatureName;
  readonly description: string;
  readonly group: 'satisfaction' | 'web';
  readonly transform: 'none' | 'log1p';
}

export const SATISFACTION_SPECS: readonly SatisfactionFeatureSpec[] = [
  { name: 'nps_latest', description: 'Latest NPS answer on 0-1 (score / 10; 0 when never answered)', group: 'satisfaction', transform: 'none' },
  { name: 'nps_responded', description: 'Has answered an NPS survey', group: 'satisfaction', transform: 'none' },
  { name: 'nps_detractor', description: 'Latest NPS answer was 0-6 (a detractor)', group: 'satisfaction', transform: 'none' },
  { name: 'nps_promoter', description: 'Latest NPS answer was 9 or 10 (a promoter)', group: 'satisfaction', transform: 'none' },
  { name: 'csat_mean_365d', description: 'Average CSAT answer of the last 365 days on 0-1 ((score - 1) / 4; 0 when none)', group: 'satisfaction', transform: 'none' },
  { name: 'csat_responses_365d', description: 'CSAT answers in the last 365 days', group: 'satisfaction', transform: 'log1p' },
  { name: 'tickets_open', description: 'Support tickets opened and not resolved', group: 'satisfaction', transform: 'log1p' },
  { name: 'tickets_90d', description: 'Support tickets opened in the last 90 days', group: 'satisfaction', transform: 'log1p' },
  { name: 'complaints_90d', description: 'Complaints filed in the last 90 days', group: 'satisfaction', transform: 'log1p' },
  { name: 'severe_issues_90d', description: 'High or critical tickets and complaints in the last 90 days', group: 'satisfaction', transform: 'log1p' },
  { name: 'acquired_paid', description: 'First visit came from paid advertising (UTM medium cpc, ppc, paid..., display)', group: 'web', transform: 'none' },
  { name: 'acquired_email', description: 'First visit came from an email (UTM medium email)', group: 'web', transform: 'none' },
];

const DAY_MS = 86_400_000;
const PAID_MEDIUM = /^(cpc|ppc|cpm|cpv|paid.*|display|banner|affiliate)$/i;
const SEVERE = new Set(['high', 'critical']);

interface Timed {
  readonly e: StoredEvent;
  readonly t: number;
}

/** The medium of the earliest web event that carries UTM parameters, if the first web event carried any. */
function acquisitionMedium(past: readonly Timed[]): string | undefined {
  let first: Timed | undefined;
  for (const p of past) {
    if ((p.e.kind === 'page' || p.e.kind === 'track') && (!first || p.t < first.t)) first = p;
  }
  const medium = first?.e.context?.campaign?.['medium'];
  return typeof medium === 'string' ? medium.trim() : undefined;
}

/** The satisfaction and acquisition features of one customer; `past` holds only events before `cut` (ms). */
export function satisfactionFeatures(past: readonly Timed[], cut: number): Record<SatisfactionFeatureName, number> {
  let nps: { score: number; t: number } | undefined;
  const csat: number[] = [];
  const opened = new Map<string, number>();
  const resolved = new Set<string>();
  let tickets90 = 0;
  let complaints90 = 0;
  let severe90 = 0;
  const from90 = cut - 90 * DAY_MS;
  const from365 = cut - 365 * DAY_MS;
  for (const { e, t } of past) {
    if (e.kind !== 'track') continue;
    switch (e.name) {
      case SATISFACTION_EVENTS.survey: {
        const s = surveyOf(e.properties);
        if (!s) break;
        if (s.scale === 'nps' && (!nps || t >= nps.t)) nps = { score: s.score, t };
        if (s.scale === 'csat' && t >= from365) csat.push(normalisedScore(s.score, 'csat'));
        break;
      }
      case SATISFACTION_EVENTS.ticketOpened:
      case SATISFACTION_EVENTS.ticketResolved:
      case SATISFACTION_EVENTS.complaint: {
        const ticketId = e.properties['ticketId'];
        const id = typeof ticketId === 'string' || typeof ticketId === 'number' ? String(ticketId) : undefined;
        if (e.name === SATISFACTION_EVENTS.ticketResolved) {
          if (id !== undefined) resolved.add(id);
          break;
        }
        if (e.name === SATISFACTION_EVENTS.ticketOpened && id !== undefined) opened.set(id, t);
        if (t < from90) break;
        if (e.name === SATISFACTION_EVENTS.complaint) complaints90++;
        else tickets90++;
        if (SEVERE.has(String(e.properties['severity']))) severe90++;
        break;
      }
      default:
        break;
    }
  }
  const medium = acquisitionMedium(past);
  return {
    nps_latest: nps ? normalisedScore(nps.score, 'nps') : 0,
    nps_responded: nps ? 1 : 0,
    nps_detractor: nps && nps.score <= NPS_DETRACTOR_MAX ? 1 : 0,
    nps_promoter: nps && nps.score >= NPS_PROMOTER_MIN ? 1 : 0,
    csat_mean_365d: csat.length > 0 ? csat.reduce((a, b) => a + b, 0) / csat.length : 0,
    csat_responses_365d: csat.length,
    tickets_open: [...opened.keys()].filter((id) => !resolved.has(id)).length,
    tickets_90d: tickets90,
    complaints_90d: complaints90,
    severe_issues_90d: severe90,
    acquired_paid: medium !== undefined && PAID_MEDIUM.test(medium) ? 1 : 0,
    acquired_email: medium !== undefined && /^e-?mail$/i.test(medium) ? 1 : 0,
  };
}
