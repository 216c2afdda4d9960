import cliProgress from 'cli-progress';
import { getConfig } from '../../functions/commons/config.js';
import { listAllCustomers } from '../../functions/jobs/customer-events.js';
import { scorePopulation, type ScoringSummary } from '../../functions/jobs/population-scoring.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { withStack, type StackHandle } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';
import { cliRegistry } from './model.js';

/**
 * `winback score`: scores every customer with the champion models (the scoring state machine's
 * prepare + every shard, in this process), writing scores, tiers, stages, reasons and crossings.
 */
function parseAt(raw: unknown): Date {
  if (raw === undefined) return new Date();
  const d = typeof raw === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw) : new Date(NaN);
  if (!Number.isFinite(d.getTime())) throw new UsageError(`--at must be a date (YYYY-MM-DD or ISO time), got ${String(raw)}`);
  return d;
}

const TIERS = ['diamond', 'gold', 'silver', 'bronze'];
const STAGES = ['prospect', 'new', 'active', 'at-risk', 'lapsed', 'churned'];

function printSummary(s: ScoringSummary, out: (line: string) => void): void {
  out(`${s.customers} customers scored at ${s.scoredAt}${s.skipped ? ` (${s.skipped} skipped: newer score stored)` : ''}`);
  out(`models: churn ${s.models.churn}, propensity ${s.models.propensity}, clv ${s.models.clv}`);
  out('by tier:   ' + TIERS.map((t) => `${t} ${s.byTier[t] ?? 0}`).join(', '));
  out('by stage:  ' + STAGES.map((t) => `${t} ${s.byStage[t] ?? 0}`).join(', '));
  out(`crossings of churn ${s.crossings.threshold}: ${s.crossings.total} (${s.crossings.up} up, ${s.crossings.down} down)`);
}

export interface ScoreAllOptions {
  readonly registry: ModelRegistry;
  readonly scoredAt: Date;
  /** Called once with the number of customers to score. */
  readonly onStart?: (total: number) => void;
  /** Customers scored so far, over every shard. */
  readonly onProgress?: (done: number) => void;
}

/**
 * What `winback score` does: every customer scored with the champions at `scoredAt`, with the
 * threshold and tiers of the configuration. Exported so `winback start` scores with the same code.
 */
export async function scoreAll(stack: StackHandle, opts: ScoreAllOptions): Promise<ScoringSummary> {
  const config = getConfig();
  opts.onStart?.((await listAllCustomers(stack.tableName)).length);
  const doneByShard = new Map<number, number>();
  return scorePopulation({
    table: stack.tableName,
    registry: opts.registry,
    scoredAt: opts.scoredAt,
    churnThreshold: config.CHURN_THRESHOLD,
    ...(config.VALUE_TIER_THRESHOLDS ? { tierThresholds: config.VALUE_TIER_THRESHOLDS } : {}),
    onProgress: (shard, done) => {
      doneByShard.set(shard, done);
      opts.onProgress?.([...doneByShard.values()].reduce((a, b) => a + b, 0));
    },
  });
}

export const scoreCommand: CliCommand = {
  name: 'score',
  summary: 'score every customer with the champion models: churn, propensity, CLV, tier, stage, reasons',
  help: [
    'usage: winback score [--at DATE] [--json] [--data-dir DIR]',
    '',
    '  --at    score time (default now); events before it count. Historical data sets need a',
    '          date inside their range, e.g. --at 2011-12-10 for Online Retail.',
    '  --json  the summary as JSON',
    'Threshold: CHURN_THRESHOLD (default 0.6). Tiers: VALUE_TIER_THRESHOLDS, else the CLV model\'s.',
  ].join('\n'),
  options: { at: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const scoredAt = parseAt(values['at']);
    const registry = await cliRegistry(dataDir);
    const bar = new cliProgress.SingleBar(
      { format: 'score [{bar}] {percentage}% | {value}/{total} customers', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const summary = await withStack(dataDir, async (stack) => {
      try {
        return await scoreAll(stack, { registry, scoredAt, onStart: (total) => bar.start(total, 0), onProgress: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
    });
    if (values['json']) {
      const { shards: _shards, ...rest } = summary;
      out(JSON.stringify(rest, null, 2));
    } else printSummary(summary, out);
    return 0;
  },
};
