/**
 * Fault and abuse scenarios on the embedded stack, with their figures (README "What winback
 * promises"). Not a test: minutes, not hours. Every count of lost, duplicated and violations must
 * be 0; the exit code is 1 otherwise.
 *
 * Usage: npm run bench:faults -- [--json] [--quick | --scale 0.1] [--only name,name] [--seed N]
 */
// First: handlers log every injected failure, and their logger reads its level when it is created.
import './faults/quiet.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { logger } from '../../functions/commons/logger.js';
import { startLocalStack } from '../local/stack.js';
import { SCENARIOS } from './faults/index.js';
import { seededRandom, type ScenarioResult } from './faults/scenario.js';

export interface FaultsOptions {
  readonly scale: number;
  readonly only?: readonly string[];
  readonly seed: number;
  readonly log: (line: string) => void;
}

export async function runFaults(opts: FaultsOptions): Promise<ScenarioResult[]> {
  const unknown = (opts.only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const chosen = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.name));
  const dir = mkdtempSync(join(tmpdir(), 'winback-faults-'));
  // Handlers log every injected failure; the figures are what this reports.
  logger.setLogLevel('SILENT');
  const stack = await startLocalStack({ dataDir: join(dir, 'data'), port: 0, quiet: true });
  const results: ScenarioResult[] = [];
  try {
    for (const [i, scenario] of chosen.entries()) {
      const operations = Math.max(scenario.minimum ?? 1, Math.round(scenario.volume * opts.scale));
      opts.log(`${scenario.name}: ${operations} operations`);
      const started = performance.now();
      let counts;
      try {
        counts = await scenario.run({ stack, operations, random: seededRandom(opts.seed + i), log: opts.log });
      } catch (error) {
        // A scenario that cannot finish is a failed guarantee, reported as such; the others still run.
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        opts.log(`${scenario.name}: failed: ${message}`);
        counts = { operations, lost: 0, duplicated: 0, violations: 1, notes: { error: message.slice(0, 300) } };
      }
      const result = { name: scenario.name, ...counts, seconds: Math.round((performance.now() - started) / 100) / 10 };
      opts.log(`${scenario.name}: ${result.operations} operations, ${result.lost} lost, ${result.duplicated} duplicated, ${result.violations} violations (${result.seconds} s)`);
      results.push(result);
    }
  } finally {
    await stack.stop({ drainTimeoutMs: 30_000 });
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      scale: { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string', default: '12' },
    },
  });
  const scale = values.scale !== undefined ? Number(values.scale) : values.quick ? 0.01 : 1;
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  const results = await runFaults({
    scale,
    seed: Number(values.seed),
    ...(values.only ? { only: values.only.split(',').map((s) => s.trim()) } : {}),
    log: (line) => console.error(`[faults] ${line}`),
  });
  if (values.json) {
    console.log(JSON.stringify({ scale, scenarios: results }, null, 2));
  } else {
    console.log(`${'scenario'.padEnd(28)}${'operations'.padStart(12)}${'lost'.padStart(7)}${'dup'.padStart(6)}${'viol'.padStart(7)}${'seconds'.padStart(10)}`);
    for (const r of results) {
      console.log(`${r.name.padEnd(28)}${String(r.operations).padStart(12)}${String(r.lost).padStart(7)}${String(r.duplicated).padStart(6)}${String(r.violations).padStart(7)}${String(r.seconds).padStart(10)}`);
    }
  }
  if (results.some((r) => r.lost + r.duplicated + r.violations > 0)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`bench:faults: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
