/**
 * A crossing: the churn probability moved across the threshold between a customer's previous
 * score and this one. The first score of a customer has nothing to cross from, so it is never a
 * crossing (audiences by band cover first scores). Pure; the store persists the records.
 */
export interface PreviousScore {
  readonly scoredAt: string;
  readonly churnProbability: number;
}

export interface Crossing {
  readonly customerId: string;
  readonly direction: 'up' | 'down';
  readonly threshold: number;
  readonly previous: PreviousScore;
  readonly current: PreviousScore;
}

export function detectCrossing(
  customerId: string,
  previous: PreviousScore | undefined,
  current: PreviousScore,
  threshold: number,
): Crossing | undefined {
  if (!previous || previous.scoredAt >= current.scoredAt) return undefined;
  const was = previous.churnProbability >= threshold;
  const is = current.churnProbability >= threshold;
  if (was === is) return undefined;
  return { customerId, direction: is ? 'up' : 'down', threshold, previous, current };
}
