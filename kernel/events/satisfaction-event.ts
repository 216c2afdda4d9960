import { z } from 'zod';

/**
 * Satisfaction and complaint signals (the customer-development model's satisfaction and
 * complaints components) arrive as ordinary Segment track events with documented properties, so
 * a survey tool or a help desk needs no integration of its own: it calls `analytics.track` (or the
 * HTTP API) like the shop's site does, and `winback import satisfaction` loads a CSV export the
 * same way. The checks here run at ingest: a track event with one of these names and malformed
 * properties is dropped like any other invalid message (the batch keeps its other messages).
 *
 *   Survey Responded  score (number), scale 'nps' (0-10) or 'csat' (1-5), surveyId?, comment?
 *   Ticket Opened     ticketId, category?, severity?
 *   Ticket Resolved   ticketId, category?, severity?
 *   Complaint Filed   ticketId?, category?, severity?
 *
 * A survey `comment` is free text that may hold anything the customer wrote: it is stored with
 * the event (and erased with it) but never read by features and never logged.
 */
export const SATISFACTION_EVENTS = {
  survey: 'Survey Responded',
  ticketOpened: 'Ticket Opened',
  ticketResolved: 'Ticket Resolved',
  complaint: 'Complaint Filed',
} as const;
export type SatisfactionEventName = (typeof SATISFACTION_EVENTS)[keyof typeof SATISFACTION_EVENTS];

const NAMES: ReadonlySet<string> = new Set(Object.values(SATISFACTION_EVENTS));
export const isSatisfactionEvent = (name: string): name is SatisfactionEventName => NAMES.has(name);

export const SurveyScale = z.enum(['nps', 'csat']);
export type SurveyScale = z.infer<typeof SurveyScale>;

/** Inclusive score range of each scale: NPS "how likely are you to recommend us" 0-10, CSAT 1-5. */
export const SCALE_RANGE: Readonly<Record<SurveyScale, readonly [number, number]>> = { nps: [0, 10], csat: [1, 5] };

/** NPS convention: 0-6 detractor, 7-8 passive, 9-10 promoter. */
export const NPS_DETRACTOR_MAX = 6;
export const NPS_PROMOTER_MIN = 9;

export const Severity = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

const Label = z.string().min(1).max(100);
const TicketId = z.union([z.string().min(1).max(200), z.number().int().transform(String)]);

export const SurveyResponse = z
  .looseObject({
    score: z.number({ error: 'score must be a number' }).int('score must be a whole number'),
    scale: SurveyScale,
    surveyId: z.string().min(1).max(200).optional(),
    comment: z.string().max(10_000).optional(),
  })
  .superRefine((p, ctx) => {
    const [lo, hi] = SCALE_RANGE[p.scale];
    if (p.score < lo || p.score > hi) ctx.addIssue({ code: 'custom', path: ['score'], message: `a ${p.scale} score is from ${lo} to ${hi}; got ${p.score}` });
  });
export type SurveyResponse = z.infer<typeof SurveyResponse>;

export const TicketEvent = z.looseObject({ ticketId: TicketId, category: Label.optional(), severity: Severity.optional() });
export type TicketEvent = z.infer<typeof TicketEvent>;

export const ComplaintEvent = z.looseObject({ ticketId: TicketId.optional(), category: Label.optional(), severity: Severity.optional() });
export type ComplaintEvent = z.infer<typeof ComplaintEvent>;

const SCHEMA_OF: Readonly<Record<SatisfactionEventName, z.ZodType>> = {
  [SATISFACTION_EVENTS.survey]: SurveyResponse,
  [SATISFACTION_EVENTS.ticketOpened]: TicketEvent,
  [SATISFACTION_EVENTS.ticketResolved]: TicketEvent,
  [SATISFACTION_EVENTS.complaint]: ComplaintEvent,
};

export interface SatisfactionIssue {
  /** Relative to the message: ['properties', 'score']. */
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

/** Why a track event's properties are not a valid satisfaction signal; empty for other events and for valid ones. */
export function satisfactionIssues(event: string, properties: Record<string, unknown> | undefined): SatisfactionIssue[] {
  if (!isSatisfactionEvent(event)) return [];
  const result = SCHEMA_OF[event].safeParse(properties ?? {});
  if (result.success) return [];
  return result.error.issues.map((i) => ({ path: ['properties', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message }));
}

/** A survey response read back from a stored event's properties (already validated at ingest), or undefined. */
export function surveyOf(properties: Record<string, unknown>): { score: number; scale: SurveyScale } | undefined {
  const r = SurveyResponse.safeParse(properties);
  return r.success ? { score: r.data.score, scale: r.data.scale } : undefined;
}

/** A score on 0..1: NPS score/10, CSAT (score-1)/4. */
export function normalisedScore(score: number, scale: SurveyScale): number {
  const [lo, hi] = SCALE_RANGE[scale];
  return (score - lo) / (hi - lo);
}
