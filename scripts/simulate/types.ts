import type { OrderEvent } from '../../kernel/events/order-event.js';
import type { SegmentMessage } from '../../functions/events/segment-event.js';

/** Value segments, each with its own purchase, dropout, spend and engagement distributions. */
export type ValueSegment = 'high' | 'medium' | 'low';

export interface SimulationOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  /** First day of the simulated period (UTC midnight is used); events fall in [start, start + days). */
  readonly start: string | Date;
}

/** What the simulator knows and a model must infer: each customer's latent state. */
export interface CustomerTruth {
  readonly customerId: string;
  readonly segment: ValueSegment;
  /** Sign-up and first order. */
  readonly acquiredAt: string;
  /** When the customer lapsed (latent dropout), if within the simulated period. */
  readonly churnedAt?: string;
  /** Latent purchase rate while alive (orders per year) and dropout probability after each order. */
  readonly purchasesPerYear: number;
  readonly dropoutProbability: number;
  readonly meanOrderValue: number;
  readonly sessionsPerWeek: number;
  readonly openRate: number;
  readonly marketingConsent: boolean;
  /** Orders placed within the period. */
  readonly orders: number;
}

/** A simulated SES event record, in the exact SES event publishing format. */
export type SesRecord = Record<string, unknown> & { readonly eventType: string };

/**
 * One simulated event, as its producer would send it: a Segment message (website), an order
 * (shop backend), or an SES event record (delivered by SNS). `at` is its time, ISO-8601 UTC.
 */
export type SimulatedEvent =
  | { readonly kind: 'segment'; readonly at: string; readonly message: SegmentMessage }
  | { readonly kind: 'order'; readonly at: string; readonly order: OrderEvent }
  | { readonly kind: 'ses'; readonly at: string; readonly record: SesRecord };

export interface SimulatedCustomer {
  readonly truth: CustomerTruth;
  /** The customer's events in time order. */
  readonly events: SimulatedEvent[];
}
