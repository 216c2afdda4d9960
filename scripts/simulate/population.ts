import { simulateCustomer, type Period } from './customer.js';
import { SimulationOptionsError } from './errors.js';
import { DAY_MS } from './timeline.js';
import type { CustomerTruth, SimulatedCustomer, SimulatedEvent, SimulationOptions } from './types.js';

/**
 * The simulator's public API. A population is a seed, a size and a period; each customer is
 * generated independently from (seed, index), so the stream is the same whatever consumes it and
 * a customer's history does not change when the population grows.
 *
 *   for (const { truth, events } of simulateCustomers(opts)) ...   // streaming, constant memory
 *   const { customers, events } = simulatePopulation(opts);         // everything in arrays
 *
 * Events come grouped by customer, each customer's in time order (not one global time order:
 * that would need the whole population in memory, and the store does not depend on it).
 */
export const MAX_CUSTOMERS = 1_000_000;
export const MAX_DAYS = 3650;

export interface ResolvedPeriod extends Period {
  readonly customers: number;
  readonly start: string;
  readonly end: string;
}

/** Validates options and pins the period: `start` at its UTC midnight, the end `days` later. */
export function resolvePeriod(options: SimulationOptions): ResolvedPeriod {
  const { customers, days, seed } = options;
  if (!Number.isInteger(customers) || customers < 1 || customers > MAX_CUSTOMERS) {
    throw new SimulationOptionsError(`customers must be an integer from 1 to ${MAX_CUSTOMERS}, got ${customers}`);
  }
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new SimulationOptionsError(`days must be an integer from 1 to ${MAX_DAYS}, got ${days}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SimulationOptionsError(`seed must be an integer from 0 to ${0xffffffff}, got ${seed}`);
  }
  const raw = options.start instanceof Date ? options.start.getTime() : Date.parse(options.start);
  if (!Number.isFinite(raw)) throw new SimulationOptionsError(`start must be a date such as 2025-01-01, got ${String(options.start)}`);
  const startMs = Math.floor(raw / DAY_MS) * DAY_MS;
  return {
    customers,
    days,
    seed,
    startMs,
    start: new Date(startMs).toISOString(),
    end: new Date(startMs + days * DAY_MS).toISOString(),
  };
}

/**
 * The default start when none is given: `days` before today's UTC midnight, so the simulated
 * period ends today and scores computed "now" are meaningful. This is the simulator's only clock
 * read, made by the CLI (the library always takes an explicit start); pass --start to replay.
 */
export function defaultStart(days: number, now: Date): string {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return new Date(today - days * DAY_MS).toISOString().slice(0, 10);
}

export function* simulateCustomers(options: SimulationOptions): Generator<SimulatedCustomer> {
  const period = resolvePeriod(options);
  for (let i = 0; i < period.customers; i++) yield simulateCustomer(period, i);
}

export interface SimulatedPopulation {
  readonly start: string;
  readonly end: string;
  /** Ground truth per customer: segment, acquisition, and the lapse time when they churned. */
  readonly customers: CustomerTruth[];
  readonly events: SimulatedEvent[];
}

export function simulatePopulation(options: SimulationOptions): SimulatedPopulation {
  const { start, end } = resolvePeriod(options);
  const customers: CustomerTruth[] = [];
  const events: SimulatedEvent[] = [];
  for (const c of simulateCustomers(options)) {
    customers.push(c.truth);
    for (const e of c.events) events.push(e);
  }
  return { start, end, customers, events };
}

/** Store kind of a simulated event (what `winback events count` reports it under). */
export function storedKindOf(e: SimulatedEvent): 'track' | 'page' | 'identify' | 'group' | 'alias' | 'order' | 'email' {
  if (e.kind === 'order') return 'order';
  if (e.kind === 'ses') return 'email';
  // Screens are stored as pages (kernel/events/stored-event.ts, `view`).
  return e.message.type === 'screen' ? 'page' : e.message.type;
}

/** Finer name: the track event, the order status or the SES event type. */
export function detailOf(e: SimulatedEvent): string {
  if (e.kind === 'order') return `order:${e.order.status}`;
  if (e.kind === 'ses') return `email:${e.record.eventType}`;
  return e.message.type === 'track' ? `track:${e.message.event}` : e.message.type;
}

export interface EventCounts {
  total: number;
  byKind: Record<string, number>;
  byDetail: Record<string, number>;
}

export function emptyCounts(): EventCounts {
  return { total: 0, byKind: {}, byDetail: {} };
}

export function countEvent(counts: EventCounts, e: SimulatedEvent): void {
  counts.total++;
  const kind = storedKindOf(e);
  counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  const detail = detailOf(e);
  counts.byDetail[detail] = (counts.byDetail[detail] ?? 0) + 1;
}
