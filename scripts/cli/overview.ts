import { ValueTier } from '../../models/scoring/customer-score.js';
import { LifecycleStage } from '../../models/scoring/lifecycle.js';
import { buildOverview, type Overview } from '../../application/overview.js';
import { withStack } from '../local/stack.js';
import type { CliCommand } from './command.js';


const signed = (x: number, digits = 0): string => `${x > 0 ? '+' : ''}${x.toFixed(digits)}`;
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

export function formatOverview(o: Overview): string[] {
  if (o.scoredAt === null) return ['no scores yet: run `winback train` and `winback score` first'];
  const c = o.current;
  const t = o.trend;
  const delta = (x: number | undefined, digits = 0): string => (t && x !== undefined ? ` (${signed(x, digits)})` : '');
  const lines = [
    `${c.customers} customers scored, latest score time ${o.scoredAt}${Object.keys(o.scoreTimes).length > 1 ? ` (scores from ${Object.keys(o.scoreTimes).length} runs)` : ''}`,
    t ? `trend: compared with the scoring run at ${t.since}` : 'trend: no earlier complete scoring run recorded',
    `at risk:          ${c.atRisk}${delta(t?.atRisk)} (churn probability ${o.churnThreshold ?? '-'} or more)`,
    `mean churn risk:  ${pct(c.meanChurnProbability)}${t && t.meanChurnProbability !== null ? ` (${signed(t.meanChurnProbability * 100, 1)} pts)` : ''}`,
    `revenue at risk:  ${c.revenueAtRisk.toFixed(2)}${delta(t?.revenueAtRisk, 2)} of CLV ${c.clvTotal.toFixed(2)} (12 months)`,
    'by stage:  ' + LifecycleStage.map((s) => `${s} ${c.byStage[s]}${delta(t?.byStage[s])}`).join(', '),
    'by tier:   ' + ValueTier.options.map((s) => `${s} ${c.byTier[s]}${delta(t?.byTier[s])}`).join(', '),
    'churn probability:',
  ];
  const width = Math.max(1, ...c.churnHistogram.map((b) => b.count));
  for (const b of c.churnHistogram) {
    lines.push(`  ${`${Math.round(b.lower * 100)}-${Math.round(b.upper * 100)}%`.padEnd(8)} ${String(b.count).padStart(6)}  ${'#'.repeat(Math.round((b.count / width) * 40))}`);
  }
  lines.push('most revenue at risk:');
  for (const r of o.topAtRisk) {
    lines.push(`  ${r.customerId.padEnd(16)} ${r.tier.padEnd(8)} ${r.stage.padEnd(9)} churn ${pct(r.churnProbability).padStart(6)}  CLV ${r.clv12m.toFixed(2).padStart(10)}  at risk ${r.revenueAtRisk.toFixed(2)}`);
  }
  return lines;
}

/** `winback overview`: the overview of application/overview.ts, as text or JSON. */
export const overviewCommand: CliCommand = {
  name: 'overview',
  summary: 'the scored population: stages, tiers, churn risk, revenue at risk, change since the last run',
  help: [
    'usage: winback overview [--json] [--data-dir DIR]',
    '',
    'From the stored scores (run `winback score` first). Revenue at risk = sum over customers of',
    '12-month CLV x churn probability. The trend compares with the previous complete scoring run.',
    '  --json  the overview as JSON (what the console at <api>/console shows)',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const overview = await withStack(dataDir, (stack) => buildOverview(stack.tableName));
    if (values['json']) out(JSON.stringify(overview, null, 2));
    else for (const line of formatOverview(overview)) out(line);
    return 0;
  },
};
