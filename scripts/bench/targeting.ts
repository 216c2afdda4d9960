/**
 * `npm run bench:targeting` — issue 14's targeting benchmark (a measurement, not a test): on a
 * simulated population with a known, heterogeneous response (scripts/bench/targeting-population.ts),
 * uplift models are learnt from a past campaign sent at random, then three campaigns target a
 * fresh population through winback's own planning (by churn, by uplift, by expected value with
 * the discount ladder; the same top 30 % and the same budget, each with its own holdout) and are
 * judged on the ground truth (scripts/bench/targeting-run.ts says how).
 * Usage: npm run bench:targeting -- [--customers 20000] [--train-customers N (default: customers)]
 *        [--seed 1] [--budget-per-slot 10 (GBP per customer of the 30 % slice)] [--json]
 */
import { parseArgs } from 'node:util';
import { runTargetingBench, type PolicyResult } from './targeting-run.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    'train-customers': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'budget-per-slot': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const customers = Number(values.customers);
const seed = Number(values.seed);
const trainCustomers = values['train-customers'] === undefined ? customers : Number(values['train-customers']);
for (const [name, v] of [['--customers', customers], ['--train-customers', trainCustomers], ['--seed', seed]] as const) {
  if (!Number.isInteger(v) || v < (name === '--seed' ? 0 : 200)) {
    console.error(`${name} must be an integer${name === '--seed' ? '' : ' of at least 200'}`);
    process.exit(2);
  }
}

const budgetPerSlot = Number(values['budget-per-slot']);
if (!(budgetPerSlot > 0)) {
  console.error('--budget-per-slot must be a positive amount (GBP per customer of the targeted slice)');
  process.exit(2);
}
const result = await runTargetingBench({ customers, trainCustomers, seed, budgetPerSlot, log: values.json ? undefined : (line) => console.error(line) });
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const gbp = (x: number): string => Math.round(x).toLocaleString('en-GB');
  const row = (p: PolicyResult): string =>
    [
      p.name.padEnd(19),
      String(p.sends).padStart(6),
      p.incrementalConversions.toFixed(1).padStart(9),
      ((1000 * p.incrementalConversions) / Math.max(1, p.sends)).toFixed(1).padStart(8),
      gbp(p.incrementalRevenue).padStart(10),
      gbp(p.incentiveCost).padStart(9),
      gbp(p.netIncrementalRevenue).padStart(10),
      `${gbp(p.spend)} / ${gbp(p.budget)}`.padStart(16),
      (p.measuredUplift * 100).toFixed(1).padStart(7),
      `${p.segments.persuadable}/${p.segments['sure-thing']}/${p.segments['lost-cause']}/${p.segments['do-not-disturb']}`.padStart(20),
    ].join(' ');
  const m = result.model;
  console.log(
    `${result.customers} customers (seed ${result.seed}); uplift model learnt from ${result.trainCustomers} customers of a random past campaign: ` +
      `${m.kind}, hidden ${JSON.stringify(m.hiddenUnits)}, held-out Qini ${m.heldOut.qini}, uplift@30% ${m.heldOut.upliftAt30} vs ATE ${m.heldOut.ate}`,
  );
  console.log('policy               sends  incr.conv  /1000   incr.rev  coupons    net rev    spend / budget  meas.pp  pers/sure/lost/dnd');
  for (const p of result.policies) console.log(row(p));
  console.log('diagnostic (not a winback policy: the same ladder, ranking and cuts with CLV x uplift - cost)');
  for (const p of result.diagnostics) console.log(row(p));
  console.log(
    `uplift / churn, incremental conversions per send: ${result.upliftOverChurn ?? 'n/a'}x; highest net incremental revenue: by ${result.bestNetRevenue}; ` +
      `over budget: ${result.policies.filter((p) => p.spend > p.budget).map((p) => p.name).join(', ') || 'none'} ` +
      `(${result.seconds.train} s training, ${result.seconds.plan} s planning, ${result.seconds.total} s in all)`,
  );
}
