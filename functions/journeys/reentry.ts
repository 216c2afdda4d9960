import type { EntryRecord } from '../store/journey-entries.js';

export type ReentryDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * The re-entry rule: a customer with an active journey never enters again; one who finished a
 * journey enters again only if the campaign allows it and the cooldown has passed.
 */
export function reentryDecision(
  previous: readonly EntryRecord[],
  rule: { readonly allowed: boolean; readonly cooldown: number },
  now: Date,
  triggerId: string,
): ReentryDecision {
  const others = previous.filter((e) => e.triggerId !== triggerId);
  if (others.length === 0) return { allowed: true };
  if (others.some((e) => e.status === 'active')) return { allowed: false, reason: 'already-in-journey' };
  if (!rule.allowed) return { allowed: false, reason: 'reentry-not-allowed' };
  const last = others[others.length - 1]!;
  if (Date.parse(last.enteredAt) + rule.cooldown > now.getTime()) return { allowed: false, reason: 'reentry-cooldown' };
  return { allowed: true };
}
