import type { Rng } from './random.js';
import type { SimulatedEvent } from './types.js';

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

/**
 * One customer's event list while it is being generated: the clock of the simulated period,
 * the customer's generator, and the counter that makes message ids deterministic. Events are
 * collected with their time and sorted once at the end (a stable sort, so events at the same
 * millisecond keep the order they were made in).
 */
export class Timeline {
  private readonly items: Array<{ readonly ms: number; readonly event: SimulatedEvent }> = [];
  private seq = 0;

  constructor(
    readonly rng: Rng,
    readonly customerId: string,
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  /** Epoch ms of a (fractional) day of the period. */
  msOfDay(day: number): number {
    return this.startMs + Math.round(day * DAY_MS);
  }

  inPeriod(ms: number): boolean {
    return ms >= this.startMs && ms < this.endMs;
  }

  /** A message id unique within the population: the customer id and a running number. */
  nextMessageId(): string {
    this.seq++;
    return `${this.customerId}-m${this.seq}`;
  }

  /** Adds an event if it falls in the period; returns whether it did. */
  push(ms: number, make: (at: string) => SimulatedEvent): boolean {
    if (!this.inPeriod(ms)) return false;
    this.items.push({ ms, event: make(new Date(ms).toISOString()) });
    return true;
  }

  sorted(): SimulatedEvent[] {
    return this.items.sort((a, b) => a.ms - b.ms).map((i) => i.event);
  }
}
