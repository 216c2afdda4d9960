import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { getConfig } from '../../functions/commons/config.js';
import { withStack } from '../local/stack.js';
import { storeSimulation } from '../simulate/direct.js';
import { defaultStart, resolvePeriod } from '../simulate/population.js';
import { sendSimulation, writeSimulation, type SimulationProgress } from '../simulate/output.js';
import type { EventCounts } from '../simulate/population.js';
import type { RejectionExample } from '../ingest/tally.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { loadCampaign, validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { campaignsWithLedger, simulateResponses, type CampaignResponses, type ResponsesSummary } from '../simulate/responses.js';
import { DEFAULT_CLICK_RATE, DEFAULT_OPEN_RATE, DEFAULT_PROPENSITY, MAX_CONVERSION } from '../simulate/response-plan.js';
import { routeHandlerLogsToStderr } from '../local/handler-logs.js';
import { CAMPAIGNS_OPTION, campaignsDir } from './campaigns.js';
import { integerOption, UsageError, type CliCommand, type OptionValues } from './command.js';

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

/** Treated customers convert 50 % more often than they would have (relative), by default. */
export const DEFAULT_EFFECT = 0.5;
const POPULATION_ONLY = ['customers', 'days', 'start', 'out', 'direct'] as const;
const RESPONSES_ONLY = ['campaign', 'effect', 'campaigns'] as const;

export async function runSimulateResponses(opts: { campaignIds: readonly string[]; effect: number; seed: number; dir: string; dataDir: string; now?: Date }): Promise<ResponsesSummary> {
  return withStack(
    opts.dataDir,
    async (stack) => {
      let campaigns: CampaignDefinition[];
      if (opts.campaignIds.length > 0) campaigns = await Promise.all(opts.campaignIds.map((id) => loadCampaign(opts.dir, id)));
      else {
        // Every valid campaign file; one that ran before it was broken by an edit cannot be read, so it is left out.
        const valid = (await validateCampaigns(opts.dir)).flatMap((r) => (r.campaign ? [r.campaign] : []));
        campaigns = await campaignsWithLedger(stack.tableName, valid);
      }
      return simulateResponses(stack, { campaigns, seed: opts.seed, effect: opts.effect, drainTimeoutMs: DRAIN_TIMEOUT_MS, ...(opts.now ? { now: opts.now } : {}) });
    },
    { pollersPerQueue: POLLERS_PER_QUEUE },
  );
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const money = (x: number): string => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function formatCampaignResponses(c: CampaignResponses): string[] {
  const rate = (n: number, of: number): string => (of ? ` (${pct(n / of)})` : '');
  const posted = c.posted.opens + c.posted.clicks + c.posted.orders;
  return [
    `${c.campaignId}: ${fmt(c.entrants.treatment)} treatment and ${fmt(c.entrants.holdout)} holdout entrants; ${fmt(c.messages)} messages sent, ${fmt(c.opened)} opened, ${fmt(c.clicked)} clicked`,
    `  orders: treatment ${fmt(c.orders.treatment)}${rate(c.orders.treatment, c.entrants.treatment)}, holdout ${fmt(c.orders.holdout)}${rate(c.orders.holdout, c.entrants.holdout)}; revenue ${money(c.revenue.treatment)} / ${money(c.revenue.holdout)}; ${fmt(c.couponsUsed)} coupon(s) used`,
    `  simulated true uplift: ${c.trueUplift >= 0 ? '+' : ''}${(c.trueUplift * 100).toFixed(2)} points (expected conversion ${pct(c.expectedConversion.treatment)} treatment, ${pct(c.expectedConversion.holdout)} holdout)`,
    posted
      ? `  posted now: ${fmt(c.posted.opens)} opens, ${fmt(c.posted.clicks)} clicks, ${fmt(c.posted.orders)} orders${c.withoutAddress ? `; ${fmt(c.withoutAddress)} recipient(s) without an address on file` : ''}`
      : '  nothing new to post: every response is already stored',
    ...(c.fromOtherRuns.opens + c.fromOtherRuns.clicks + c.fromOtherRuns.orders > 0
      ? [`  also stored from runs with another seed or effect (and counted by the report): ${fmt(c.fromOtherRuns.opens)} opens, ${fmt(c.fromOtherRuns.clicks)} clicks, ${fmt(c.fromOtherRuns.orders)} orders`]
      : []),
  ];
}

export function formatResponsesSummary(s: ResponsesSummary): string[] {
  const lines = [`simulated campaign responses (seed ${s.seed}, effect ${s.effect >= 0 ? '+' : ''}${Math.round(s.effect * 100)}% relative, as of ${s.asOf})`];
  if (s.campaigns.length === 0) lines.push('no campaign has entrants on its send ledger: run one first (winback campaigns run <id>)');
  for (const c of s.campaigns) lines.push(...formatCampaignResponses(c));
  lines.push(`accepted by the API: ${fmt(s.accepted)}; rejected: ${fmt(s.rejected)} (${s.seconds} s)`);
  for (const [reason, n] of Object.entries(s.rejections).sort((a, b) => b[1] - a[1])) lines.push(`  ${fmt(n).padStart(8)}  ${reason}`);
  return lines;
}

function effectOption(values: OptionValues): number {
  const raw = values['effect'];
  if (raw === undefined) return DEFAULT_EFFECT;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < -1 || n > 100) throw new UsageError(`--effect must be a number from -1 to 100 (0.5 = +50% relative), got ${String(raw)}`);
  return n;
}

function campaignOption(values: OptionValues): string[] {
  const raw = values['campaign'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return [...new Set(list.map(String))];
}

function refuseOptions(values: OptionValues, names: readonly string[], why: string): void {
  const given = names.filter((n) => values[n] !== undefined);
  if (given.length) throw new UsageError(`${given.map((n) => `--${n}`).join(', ')} ${given.length > 1 ? 'do' : 'does'} not apply ${why}`);
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'generate a seeded population (web, email, orders) with a latent churn process; --responses: campaign responses',
  help: [
    'usage: winback simulate [--customers N] [--days D] [--seed S] [--start YYYY-MM-DD] [--out file.jsonl | --direct] [--json] [--data-dir DIR]',
    '       winback simulate --responses [--campaign ID]... [--effect X] [--seed S] [--campaigns DIR] [--json] [--data-dir DIR]',
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
    '',
    '--responses: what the entrants of campaigns that already ran do next, through the ingest API',
    '(SES Open and Click records to /v1/email-events as SNS notifications, orders to /v1/orders),',
    'so `winback campaigns report` has opens, clicks and conversions to measure. For every entrant,',
    'treatment and holdout alike:',
    `  - each message SES accepted is opened with the customer's own open rate (their last 12`,
    `    delivered emails, shrunk towards ${DEFAULT_OPEN_RATE * 100}%) and clicked given an open (likewise, ${DEFAULT_CLICK_RATE * 100}%);`,
    '  - they order with their stored 30-day purchase propensity, rescaled to the attribution window',
    `    (no score: ${DEFAULT_PROPENSITY * 100}%), times 1 + X when treated and sent something, at most ${MAX_CONVERSION * 100}%; the basket`,
    "    mostly repeats their past orders (else the simulator's catalogue); a treated customer's",
    '    campaign coupon goes on the order, and ingestion redeems it.',
    'Times: responses come after the send (a holdout order after the entry) and never after now.',
    "While the attribution window is still open (a campaign just run on the local stack's",
    "compressed journey clock), the window's worth of responses is compressed into the time since",
    'the send; once it is over, they fall at their natural times within it. Who responds, and how,',
    'depends only on the seed and the ledger; responses already stored are kept, so a second run',
    'posts nothing new. Events are never deleted: a run with another seed or --effect adds to what',
    'an earlier one left (the summary counts it); compare seeds on copies of the data dir.',
    '      --responses      simulate campaign responses instead of a population',
    '      --campaign ID    a campaign to respond to (repeatable; default: every campaign of the',
    '                       campaigns directory with entries on its send ledger)',
    `      --effect X       relative effect of treatment on conversion (default ${DEFAULT_EFFECT}: +${DEFAULT_EFFECT * 100}%; 0: none;`,
    '                       -1 to 100; a harmful one is written --effect=-0.2)',
    '      --campaigns DIR  campaign files (default ./campaigns, or CAMPAIGNS_DIR)',
  ].join('\n'),
  options: {
    responses: { type: 'boolean' },
    campaign: { type: 'string', multiple: true },
    effect: { type: 'string' },
    ...CAMPAIGNS_OPTION,
    customers: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    out: { type: 'string' },
    direct: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ dataDir, values, out }) {
    // The embedded stack's processors log to stdout (e.g. a count of redeemed coupons per batch),
    // which would corrupt --json and bury the summary: their warnings go to stderr, their INFO nowhere.
    routeHandlerLogsToStderr({ verbose: false });
    if (values['responses'] === true) {
      refuseOptions(values, POPULATION_ONLY, 'to --responses');
      const seed = integerOption(values, 'seed', { min: 0, max: 0xffffffff }) ?? DEFAULT_SEED;
      const summary = await runSimulateResponses({ campaignIds: campaignOption(values), effect: effectOption(values), seed, dir: campaignsDir(values), dataDir });
      if (values['json']) out(JSON.stringify(summary, null, 2));
      else for (const line of formatResponsesSummary(summary)) out(line);
      return summary.rejected > 0 ? 1 : 0;
    }
    refuseOptions(values, RESPONSES_ONLY, 'without --responses');
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
