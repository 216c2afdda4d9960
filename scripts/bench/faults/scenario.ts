import type { LocalStack } from '../../local/stack.js';
import { createRng } from '../../../models/random.js';

/**
 * One fault or abuse scenario of `npm run bench:faults`: it drives the real domain code on the
 * embedded stack (fault-injecting wrappers around the real clients where an emulator cannot fail
 * on its own) and counts what the guarantee it measures forbids: lost, duplicated, violations.
 */
export interface ScenarioCounts {
  readonly operations: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly violations: number;
  /** Short facts about the run (faults injected, retries), no personal data. */
  readonly notes?: Readonly<Record<string, number | string>>;
}

export interface ScenarioResult extends ScenarioCounts {
  readonly name: string;
  readonly seconds: number;
}

export interface ScenarioContext {
  readonly stack: LocalStack;
  /** Operations to run: the scenario's volume times --scale. */
  readonly operations: number;
  readonly random: () => number;
  readonly log: (line: string) => void;
}

export interface Scenario {
  readonly name: string;
  /** The volume the issue asks for (operations at --scale 1). */
  readonly volume: number;
  /** The fewest operations that still test the guarantee (a small --scale is raised to it). */
  readonly minimum?: number;
  /** What it measures, one line (README "What winback promises"). */
  readonly guarantee: string;
  run(ctx: ScenarioContext): Promise<ScenarioCounts>;
}

/** Deterministic pseudo-random numbers (mulberry32, as everywhere in winback): a run is reproducible from its seed. */
export const seededRandom = createRng;

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  });
  await Promise.all(runners);
}

/** An error the wrappers throw to stand in for a process dying at that point. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}
