import cliProgress from 'cli-progress';
import { newestScoringRun } from '../../application/scoring.js';
import { scoreEveryone, type ScoringSummary } from '../local/local-scoring.js';
import { withStack } from '../local/stack.js';
import { commandTime } from './clock.js';
import { timeOption, type CliCommand } from './command.js';

/**
 * `winback score`: scores every customer with the champion models (the scoring state machine's
 * Distributed Map on the local runner, scripts/local/local-scoring.ts),
 * writing scores, tiers, stages, reasons and crossings. A score never replaces a newer one, so
 * customers scored later than --at are skipped: the command says so, and how to score them.
 */
const TIERS = ['diamond', 'gold', 'silver', 'bronze'];
const STAGES = ['prospect', 'new', 'active', 'at-risk', 'lapsed', 'churned'];

function printSummary(s: ScoringSummary, out: (line: string) => void): void {
  out(`${s.customers} customers scored at ${s.scoredAt}${s.skipped ? ` (${s.skipped} skipped: newer score stored)` : ''}`);
  out(`models: churn ${s.models.churn}, propensity ${s.models.propensity}, clv ${s.models.clv}`);
  out('by tier:   ' + TIERS.map((t) => `${t} ${s.byTier[t] ?? 0}`).join(', '));
  out(`at risk:   ${s.atRisk} (churn probability ${s.crossings.threshold} or more; the stage at-risk leaves out new, lapsed and churned customers)`);
  out('by stage:  ' + STAGES.map((t) => `${t} ${s.byStage[t] ?? 0}`).join(', '));
  out(`crossings of churn ${s.crossings.threshold}: ${s.crossings.total} (${s.crossings.up} up, ${s.crossings.down} down)`);
}

export const scoreCommand: CliCommand = {
  name: 'score',
  summary: 'score every customer with the champion models: churn, propensity, CLV, tier, stage, reasons',
  help: [
    'usage: winback score [--at DATE] [--json] [--data-dir DIR]',
    '',
    '  --at    score time, YYYY-MM-DD or ISO (default now, or the virtual clock `winback start`',
    '          saved in the data dir when it ran ahead); events before it count. Historical data',
    '          sets need a date inside their range, e.g. --at 2011-12-10 for Online Retail.',
    '  --json  the summary as JSON',
    'Threshold: CHURN_THRESHOLD (default 0.6). Tiers: VALUE_TIER_THRESHOLDS, else the CLV model\'s.',
    'A score never replaces a newer one: customers scored after --at are skipped (exit 1 if all are).',
  ].join('\n'),
  options: { at: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out, err }) {
    const scoredAt = await commandTime(dataDir, timeOption(values, 'at'), err);
    const bar = new cliProgress.SingleBar(
      { format: 'score [{bar}] {percentage}% | {value}/{total} customers', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const { summary, newest } = await withStack(dataDir, async (stack) => {
      try {
        const scored = await scoreEveryone(stack.dataDir, { scoredAt, onStart: (total) => bar.start(total, 0), onProgress: (done) => bar.update(done) });
        return { summary: scored, newest: scored.skipped ? await newestScoringRun(stack.tableName) : undefined };
      } finally {
        bar.stop();
      }
    });
    if (values['json']) out(JSON.stringify(summary, null, 2));
    else printSummary(summary, out);
    if (summary.skipped) {
      err(
        `${summary.skipped} customer(s) not rescored: they hold a score newer than ${summary.scoredAt}${newest ? ` (the newest scoring run is at ${newest})` : ''}, ` +
          `and a score never replaces a newer one. To rescore them: winback score --at ${newest ?? '<a later time>'}`,
      );
    }
    return summary.customers === 0 && summary.skipped > 0 ? 1 : 0;
  },
};
