import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { getConfig } from '../../functions/commons/config.js';
import { withStack } from '../local/stack.js';
import { storeSimulation } from '../simulate/direct.js';
import { defaultStart, resolvePeriod } from '../simulate/population.js';
import { sendSimulation, writeSimulation, type SimulationProgress } from '../simulate/output.js';
import type { EventCounts } from '../simulate/population.js';
import type { RejectionExample } from '../ingest/tally.js';
import { integerOption, UsageError, type CliCommand } from './command.js';

/**
 * `winback simulate`: a seeded population with a latent churn process (scripts/simulate/), sent
 * through the ingest API of the running or an embedded stack, or written to JSONL with --out.
 */
export const DEFAULT_CUSTOMERS = 2000;
export const DEFAULT_DAYS = 365;
export const DEFAULT_SEED = 1;
/** The embedded stack's SQS pollers per queue: SES records arrive one per message, so more pollers help. */
const POLLERS_PER_QUEUE = 4;
const DRAIN_TIMEOUT_MS = 30 * 60_000;

export interface SimulateSummary {
  readonly seed: number;
  readonly customers: number;
  readonly days: number;
  readonly start: string;
  readonly end: string;
  /** Customers whose latent lapse falls within the period. */
  readonly churned: number;
  readonly events: EventCounts;
  /** 'api', 'store' (--direct), or the JSONL file written. */
  readonly destination: string;
  readonly accepted?: number;
  readonly rejected?: number;
  readonly rejections?: Record<string, number>;
  readonly examples?: RejectionExample[];
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

export async function runSimulate(
  opts: { customers: number; days: number; seed: number; start: string; out?: string; direct?: boolean; dataDir: string },
  progress: { start(total: number): void; update(done: number, events: number): void; stop(): void },
): Promise<SimulateSummary> {
  const options = { customers: opts.customers, days: opts.days, seed: opts.seed, start: opts.start };
  const period = resolvePeriod(options);
  const t0 = performance.now();
  const onProgress: SimulationProgress = (done, events) => progress.update(done, events);
  const base = { seed: opts.seed, customers: opts.customers, days: opts.days, start: period.start, end: period.end };
  const elapsed = (): number => (performance.now() - t0) / 1000;
  if (opts.out !== undefined) {
    const file = opts.out;
    progress.start(opts.customers);
    const run = await writeSimulation(options, file, onProgress).finally(() => progress.stop());
    const seconds = elapsed();
    return { ...base, churned: run.churned, events: run.counts, destination: file, seconds: round(seconds), eventsPerSecond: Math.round(run.counts.total / seconds) };
  }
  if (opts.direct) {
    return withStack(opts.dataDir, async (stack) => {
      progress.start(opts.customers);
      const store = { table: stack.tableName, retentionDays: getConfig().EVENT_RETENTION_DAYS };
      const run = await storeSimulation(options, store, onProgress).finally(() => progress.stop());
      const seconds = elapsed();
      return { ...base, churned: run.churned, events: run.counts, destination: 'store', seconds: round(seconds), eventsPerSecond: Math.round(run.counts.total / seconds) };
    });
  }
  return withStack(opts.dataDir, async (stack) => {
    progress.start(opts.customers);
    const run = await sendSimulation(stack, options, onProgress).finally(() => progress.stop());
    // Done means stored: wait for the queues, on an embedded stack and a running one alike.
    await stack.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    const seconds = elapsed();
    return {
      ...base,
      churned: run.churned,
      events: run.counts,
      destination: 'api',
      accepted: run.sent.accepted,
      rejected: run.sent.rejected,
      rejections: run.sent.reasons,
      examples: run.sent.examples,
      seconds: round(seconds),
      eventsPerSecond: Math.round(run.sent.accepted / seconds),
    };
  }, { pollersPerQueue: POLLERS_PER_QUEUE });
}

const round = (s: number): number => Math.round(s * 100) / 100;
const fmt = (n: number): string => n.toLocaleString('en-US');

export function formatSimulateSummary(s: SimulateSummary): string[] {
  const lines = [
    `simulated ${fmt(s.customers)} customers over ${s.days} days (${s.start.slice(0, 10)} .. ${s.end.slice(0, 10)}, seed ${s.seed}); ${fmt(s.churned)} lapsed within the period`,
    `${fmt(s.events.total)} events ${s.destination === 'api' ? 'sent to the API' : s.destination === 'store' ? 'stored directly' : `written to ${s.destination}`} in ${s.seconds} s (${fmt(s.eventsPerSecond)} events/s)`,
  ];
  for (const [kind, n] of Object.entries(s.events.byKind).sort()) lines.push(`  ${kind.padEnd(10)} ${fmt(n).padStart(10)}`);
  const details = Object.entries(s.events.byDetail).filter(([d]) => d.includes(':')).sort();
  if (details.length) lines.push(`  ${details.map(([d, n]) => `${d} ${fmt(n)}`).join(', ')}`);
  if (s.accepted !== undefined) {
    lines.push(`accepted by the API: ${fmt(s.accepted)}; rejected: ${fmt(s.rejected ?? 0)}`);
    for (const [reason, n] of Object.entries(s.rejections ?? {}).sort((a, b) => b[1] - a[1])) lines.push(`  ${fmt(n).padStart(8)}  ${reason}`);
  }
  return lines;
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'generate a seeded population (web, email, orders) with a latent churn process',
  help: [
    'usage: winback simulate [--customers N] [--days D] [--seed S] [--start YYYY-MM-DD] [--out file.jsonl | --direct] [--json] [--data-dir DIR]',
    '',
    'Generates identifies, page views, product views and cart adds, orders (with coupons,',
    'cancellations and refunds) and the weekly newsletter as SES event records, for customers whose',
    'engagement fades before they lapse. The same options give the same events, byte for byte.',
    'Sends them through the ingest API (the running stack, else an embedded one; waits until stored),',
    'or writes them to a JSONL file that `winback ingest` loads.',
    `      --customers N  population size (default ${DEFAULT_CUSTOMERS})`,
    `      --days D       length of the period in days (default ${DEFAULT_DAYS})`,
    `      --seed S       random seed (default ${DEFAULT_SEED})`,
    '      --start DATE   first day (UTC); default: D days before today, so the period ends today',
    '                     (the only clock read; give --start to reproduce a run exactly)',
    '      --out FILE     write JSONL instead of sending',
    '      --direct       store through the processors\' functions, skipping HTTP and SQS (fast demo',
    '                     seeding; the edge validation of the API path is not exercised)',
    '      --json         print the summary as JSON',
  ].join('\n'),
  options: {
    customers: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    out: { type: 'string' },
    direct: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ dataDir, values, out }) {
    const customers = integerOption(values, 'customers', { min: 1, max: 1_000_000 }) ?? DEFAULT_CUSTOMERS;
    const days = integerOption(values, 'days', { min: 1, max: 3650 }) ?? DEFAULT_DAYS;
    const seed = integerOption(values, 'seed', { min: 0, max: 0xffffffff }) ?? DEFAULT_SEED;
    const startOption = values['start'];
    if (startOption !== undefined && (typeof startOption !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(startOption) || !Number.isFinite(Date.parse(startOption)))) {
      throw new UsageError(`--start must be a date such as 2025-01-01, got ${String(startOption)}`);
    }
    const start = typeof startOption === 'string' ? startOption : defaultStart(days, new Date());
    const file = typeof values['out'] === 'string' ? values['out'] : undefined;
    const bar = new cliProgress.SingleBar(
      { format: 'simulate [{bar}] {percentage}% | {value}/{total} customers | {events} events | {duration}s', stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    const summary = await runSimulate(
      { customers, days, seed, start, dataDir, direct: values['direct'] === true, ...(file !== undefined ? { out: file } : {}) },
      {
        start: (total) => bar.start(total, 0, { events: 0 }),
        update: (done, events) => bar.update(done, { events }),
        stop: () => bar.stop(),
      },
    );
    if (values['json']) out(JSON.stringify(summary, null, 2));
    else for (const line of formatSimulateSummary(summary)) out(line);
    return summary.rejected !== undefined && summary.rejected > 0 && (summary.accepted ?? 0) === 0 ? 1 : 0;
  },
};
