import { z } from 'zod';
import { EventKind, type StoredEvent } from '../../kernel/events/stored-event.js';

/**
 * Event and attribute conditions shared by triggers, waits, branches and goals. Pure functions:
 * the orchestration decides *which* events to look at (since entry, within a window).
 */
const Scalar = z.union([z.string(), z.number(), z.boolean()]);
export type Scalar = z.infer<typeof Scalar>;

/** A number range for a `where` value: `{ lte: 6 }` (an NPS detractor), `{ gte: 100, lt: 500 }`. */
export const NumberRange = z
  .strictObject({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() })
  .refine((r) => Object.values(r).some((v) => v !== undefined), { message: 'a range needs one of gt, gte, lt, lte' });
export type NumberRange = z.infer<typeof NumberRange>;

/**
 * `{ kind: order, name: placed }`, `{ kind: track, name: Product Added, where: { category: Shoes } }`.
 * `where` keys are dot paths into the event's properties (`sku`), or into `order.`, `email.`,
 * `traits.` when prefixed; a list value means "one of"; a range (`score: { lte: 6 }`) matches a
 * number within it.
 */
export const EventMatcher = z.strictObject({
  kind: EventKind,
  name: z.string().min(1),
  where: z.record(z.string().min(1), z.union([Scalar, z.array(Scalar).min(1), NumberRange])).optional(),
});
export type EventMatcher = z.infer<typeof EventMatcher>;

/** A condition on the customer: `{ path: traits.vip, equals: true }`, `{ path: tier, in: [gold, diamond] }`. */
export const AttributeCondition = z
  .strictObject({
    path: z.string().min(1),
    equals: Scalar.optional(),
    in: z.array(Scalar).min(1).optional(),
    exists: z.boolean().optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
  })
  .refine((c) => ['equals', 'in', 'exists', 'gte', 'lte'].some((k) => (c as Record<string, unknown>)[k] !== undefined), {
    message: 'an attribute condition needs one of equals, in, exists, gte, lte',
  });
export type AttributeCondition = z.infer<typeof AttributeCondition>;

export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const PREFIXED = /^(properties|order|email|traits)\./;

function inRange(r: NumberRange, actual: unknown): boolean {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) return false;
  return (r.gt === undefined || actual > r.gt) && (r.gte === undefined || actual >= r.gte) && (r.lt === undefined || actual < r.lt) && (r.lte === undefined || actual <= r.lte);
}

export function matchesEvent(matcher: EventMatcher, event: StoredEvent): boolean {
  if (event.kind !== matcher.kind || event.name !== matcher.name) return false;
  for (const [path, expected] of Object.entries(matcher.where ?? {})) {
    const actual = PREFIXED.test(path) ? getPath(event, path) : getPath(event.properties, path);
    if (typeof expected === 'object' && !Array.isArray(expected)) {
      if (!inRange(expected, actual)) return false;
      continue;
    }
    const allowed = Array.isArray(expected) ? expected : [expected];
    if (!allowed.some((v) => v === actual)) return false;
  }
  return true;
}

/** Evaluates an attribute condition against a plain object (e.g. `{ traits, tier, stage, churn }`). */
export function matchesAttribute(condition: AttributeCondition, subject: Record<string, unknown>): boolean {
  const actual = getPath(subject, condition.path);
  if (condition.exists !== undefined && (actual !== undefined && actual !== null) !== condition.exists) return false;
  if (condition.equals !== undefined && actual !== condition.equals) return false;
  if (condition.in !== undefined && !condition.in.some((v) => v === actual)) return false;
  if (condition.gte !== undefined && !(typeof actual === 'number' && actual >= condition.gte)) return false;
  if (condition.lte !== undefined && !(typeof actual === 'number' && actual <= condition.lte)) return false;
  return true;
}
