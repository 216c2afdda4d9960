/**
 * The population simulator, for the CLI (`winback simulate`) and for training in process:
 *
 *   // simulateStoredPopulation, imported from this file (scripts/simulate/index.ts):
 *   const { customers, eventsByCustomer } = simulateStoredPopulation({ customers: 2000, days: 365, seed: 7, start: '2025-01-01' });
 *
 * See model.ts for the latent churn process and README "Data" for the whole story.
 */
export { simulateCustomers, simulatePopulation, resolvePeriod, defaultStart, storedKindOf, detailOf } from './population.js';
export type { SimulatedPopulation, EventCounts } from './population.js';
export { storedEventsOf, simulateStoredPopulation, type StoredPopulation } from './stored.js';
export { SEGMENTS, engagementAt, LAPSED_ENGAGEMENT } from './model.js';
export { SimulationOptionsError } from './errors.js';
export type { CustomerTruth, SimulatedCustomer, SimulatedEvent, SimulationOptions, ValueSegment, SesRecord } from './types.js';
