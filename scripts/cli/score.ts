import cliProgress from 'cli-progress';
import { openRegistryFor } from '../../application/model-registry.js';
import { scoreAll } from '../../application/scoring.js';
import type { ScoringSummary } from '../../functions/jobs/population-scoring.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

/**
 * `winback score`: scores every customer with the champion models (application/scoring.ts),
 * writing scores, tiers, stages, reasons and crossings.
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
    const registry = await openRegistryFor(dataDir);
    const bar = new cliProgress.SingleBar(
      { format: 'score [{bar}] {percentage}% | {value}/{total} customers', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const summary = await withStack(dataDir, async (stack) => {
      try {
        return await scoreAll(stack.tableName, { registry, scoredAt, onStart: (total) => bar.start(total, 0), onProgress: (done) => bar.update(done) });
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
