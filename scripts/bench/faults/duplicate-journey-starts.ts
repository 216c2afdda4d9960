import { LocalStepFunctions } from '../../local/stepfunctions.js';
import type { JourneyInput } from '../../../functions/journeys/journey-state.js';
import { pool, type Scenario } from './scenario.js';

/**
 * Triggers fire more than once (a score crossing seen by two sweeps, an event redelivered): each
 * journey start is requested three times, concurrently, through the local Step Functions runner
 * (aws-local-stepfunctions behind the starter triggers use): exactly one execution per journey.
 */
export const duplicateJourneyStarts: Scenario = {
  name: 'duplicate-journey-starts',
  volume: 1_000,
  guarantee: 'a journey requested several times (duplicate triggers) runs exactly once',
  async run({ stack, operations, random }) {
    const runner = await LocalStepFunctions.create({ table: stack.tableName, timeScale: 1e-6, install: false, concurrency: 64 });
    const run = `r${Math.floor(random() * 1e9)}`;
    // A campaign id no definition has: each execution ends at its first step (campaign inactive),
    // so the run measures starts, not sends.
    const inputs: JourneyInput[] = Array.from({ length: operations }, (_, i) => ({
      campaignId: `bench-dup-${run}`,
      customerId: `${run}-c${i}`,
      triggerId: `t-${i}`,
      trigger: { type: 'manual', at: new Date().toISOString() },
    }));
    const requests = inputs.flatMap((input) => [input, input, input]);
    let started = 0;
    await pool(requests, 48, async (input) => {
      if ((await runner.startJourney(input)).started) started++;
    });
    await runner.idle();
    runner.close();
    const executions = [...runner.executions.values()].filter((e) => e.machine === 'journey').length;
    const missing = Math.max(0, operations - Math.min(started, executions));
    const extra = Math.max(0, started - operations) + Math.max(0, executions - operations);
    return { operations: requests.length, lost: missing, duplicated: extra, violations: 0, notes: { journeys: operations, started, executions } };
  },
};
