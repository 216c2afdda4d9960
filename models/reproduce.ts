/**
 * Reproduces the churn metric tables of the README on the real data sets:
 *   npx tsx models/reproduce.ts online-retail [--seed 42] [--json]
 *   npx tsx models/reproduce.ts cdnow [--seed 42] [--json]
 * (the CLI's `winback train` runs the same runExperiment on the data in the store).
 */
import {
  CDNOW_EVAL_CUTOFF,
  CDNOW_HORIZON_DAYS,
  cdnowEventsByCustomer,
  ONLINE_RETAIL_EVAL_CUTOFF,
  ONLINE_RETAIL_HORIZON_DAYS,
  onlineRetailEventsByCustomer,
} from './datasets.js';
import { formatComparison, runExperiment } from './experiment.js';
import type { Target } from './labels.js';

const args = process.argv.slice(2);
const dataset = args[0] ?? 'online-retail';
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(flag('--seed') ?? 42);
const target = (flag('--target') ?? 'churn') as Target;

const setup =
  dataset === 'cdnow'
    ? { events: cdnowEventsByCustomer(), evalCutoff: CDNOW_EVAL_CUTOFF, horizonDays: CDNOW_HORIZON_DAYS }
    : { events: await onlineRetailEventsByCustomer(), evalCutoff: ONLINE_RETAIL_EVAL_CUTOFF, horizonDays: ONLINE_RETAIL_HORIZON_DAYS };

const result = await runExperiment({
  eventsByCustomer: setup.events,
  evalCutoff: setup.evalCutoff,
  horizonDays: target === 'churn' ? setup.horizonDays : 30,
  target,
  seed,
});
if (args.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`${dataset} ${target}: eval cutoff ${result.evalCutoff.slice(0, 10)}, horizon ${result.horizonDays} d, seed ${seed}`);
  console.log(`train rows ${result.data.trainRows} (cutoffs ${result.trainCutoffs.map((c) => c.slice(0, 10)).join(', ')}; label horizon ${result.trainHorizonDays} d)`);
  console.log(`holdout rows ${result.data.holdoutRows}, positive rate ${result.data.holdoutPositiveRate.toFixed(3)}`);
  console.log(`backend ${result.backend.name}; training ${result.timings.trainMs} ms (${result.model.training.epochs} epochs, best ${result.model.training.bestEpoch}); total ${result.timings.totalMs} ms`);
  console.log(formatComparison(result.comparison));
  console.log(`model beats every baseline on ROC-AUC: ${result.beatsAllBaselines}`);
  for (const w of result.warnings) console.log(`warning: ${w}`);
}
