import { z } from 'zod';
import { LifecycleStage } from '../../../models/scoring/lifecycle.js';

/** Who a campaign is for: value tiers, lifecycle stages, score bands, traits, account (group), recency. */

export const VALUE_TIERS = ['diamond', 'gold', 'silver', 'bronze'] as const;
export const ValueTier = z.enum(VALUE_TIERS);
export type ValueTier = z.infer<typeof ValueTier>;
export const Stage = z.enum(LifecycleStage);

const Band = z
  .strictObject({ min: z.number().min(0).max(1).default(0), max: z.number().min(0).max(1).default(1) })
  .refine((b) => b.min <= b.max, { message: 'min must not be above max', path: ['min'] });
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const Audience = z.strictObject({
  tiers: z.array(ValueTier).min(1).optional(),
  stages: z.array(Stage).min(1).optional(),
  churn: Band.optional(),
  propensity: Band.optional(),
  traits: z
    .strictObject({
      equals: z.record(z.string().min(1), Scalar).optional(),
      exists: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  /**
   * The account (Segment `group`) the customer belongs to: one of `ids`, and/or one whose traits
   * equal `traits` (e.g. {plan: enterprise}). Customers without a group call are out.
   */
  group: z
    .strictObject({
      ids: z.array(z.string().min(1)).min(1).optional(),
      traits: z.record(z.string().min(1), Scalar).optional(),
    })
    .optional(),
  daysSinceLastOrder: z
    .strictObject({ min: z.number().nonnegative().optional(), max: z.number().nonnegative().optional() })
    .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { message: 'min must not be above max', path: ['min'] })
    .optional(),
  /** The health score of the latest scoring run, 0-100 (models/scoring/health.ts): `{ max: 39 }` is "poor". */
  health: z
    .strictObject({ min: z.number().min(0).max(100).optional(), max: z.number().min(0).max(100).optional() })
    .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { message: 'min must not be above max', path: ['min'] })
    .optional(),
});
export type Audience = z.infer<typeof Audience>;

/** What audience filters look at, assembled by the caller from the profile and the score item. */
export interface AudienceFacts {
  readonly tier?: string;
  readonly stage?: string;
  readonly churn?: number;
  readonly propensity?: number;
  readonly traits: Record<string, unknown>;
  /** The customer's accounts (groupId -> the account's traits), from the profile. */
  readonly groups?: Record<string, Record<string, unknown>>;
  readonly daysSinceLastOrder?: number;
  /** The latest score's health score, 0-100. */
  readonly health?: number;
}

/**
 * `reason` says why this customer is out, with their own value; `group` says the same without it
 * (the campaign's filter and bounds kept), so that dry runs can count customers by it.
 */
export type AudienceResult = { readonly match: true } | { readonly match: false; readonly reason: string; readonly group: string };

/** Whether a customer is in the audience, and if not the first filter that excludes them (for dry runs). */
export function matchesAudience(audience: Audience, facts: AudienceFacts): AudienceResult {
  const no = (reason: string, group = reason): AudienceResult => ({ match: false, reason, group });
  if (audience.tiers && !(facts.tier !== undefined && (audience.tiers as readonly string[]).includes(facts.tier))) {
    return no(`tier ${facts.tier ?? 'unknown'} not in ${audience.tiers.join('/')}`);
  }
  if (audience.stages && !(facts.stage !== undefined && (audience.stages as readonly string[]).includes(facts.stage))) {
    return no(`stage ${facts.stage ?? 'unknown'} not in ${audience.stages.join('/')}`);
  }
  for (const key of ['churn', 'propensity'] as const) {
    const band = audience[key];
    const value = facts[key];
    if (band && !(value !== undefined && value >= band.min && value <= band.max)) {
      const side = value === undefined ? 'unscored (band' : value < band.min ? 'below the band' : 'above the band';
      return no(`${key} ${value === undefined ? 'unscored' : value.toFixed(2)} outside ${band.min}..${band.max}`, `${key} ${side} ${band.min}..${band.max}${value === undefined ? ')' : ''}`);
    }
  }
  for (const [trait, expected] of Object.entries(audience.traits?.equals ?? {})) {
    if (facts.traits[trait] !== expected) return no(`trait ${trait} is not ${JSON.stringify(expected)}`);
  }
  for (const trait of audience.traits?.exists ?? []) {
    if (facts.traits[trait] === undefined || facts.traits[trait] === null) return no(`trait ${trait} is not set`);
  }
  const g = audience.group;
  if (g) {
    const inGroup = Object.entries(facts.groups ?? {}).some(
      ([id, traits]) => (!g.ids || g.ids.includes(id)) && Object.entries(g.traits ?? {}).every(([k, v]) => traits[k] === v),
    );
    if (!inGroup) return no(`not in ${g.ids ? `account ${g.ids.join('/')}` : 'such an account'}${g.traits ? ` with ${JSON.stringify(g.traits)}` : ''}`);
  }
  const d = audience.daysSinceLastOrder;
  if (d) {
    const days = facts.daysSinceLastOrder;
    if (days === undefined) return no('no order yet');
    if (d.min !== undefined && days < d.min) return no(`last order ${Math.floor(days)} days ago, under ${d.min}`, `last order under ${d.min} days ago`);
    if (d.max !== undefined && days > d.max) return no(`last order ${Math.floor(days)} days ago, over ${d.max}`, `last order over ${d.max} days ago`);
  }
  const hb = audience.health;
  if (hb) {
    const v = facts.health;
    if (v === undefined) return no('no health score yet');
    if (hb.min !== undefined && v < hb.min) return no(`health ${v} under ${hb.min}`, `health under ${hb.min}`);
    if (hb.max !== undefined && v > hb.max) return no(`health ${v} over ${hb.max}`, `health over ${hb.max}`);
  }
  return { match: true };
}
