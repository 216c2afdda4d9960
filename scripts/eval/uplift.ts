/**
 * `npm run eval:uplift` — `winback uplift evaluate` on a public randomized e-mail experiment
 * (Hillstrom's, test/fixtures/hillstrom): each arm against No E-Mail, per outcome, the ATE with
 * its 95 % CI next to the published difference, then the chosen uplift model's held-out
 * uplift@k and Qini, with uplift@30% as a multiple of the held-out ATE (what random targeting
 * gains). An evaluation command, not a test: it trains networks on 42,000 rows per pair.
 * Usage: npm run eval:uplift -- [--seed 1] [--outcomes visit,conversion] [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { initBackend } from '../../models/tf/backend.js';
import { evaluateExperiment } from '../../models/uplift/evaluate.js';
import { readExperiment } from '../../models/uplift/experiment.js';

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '1' }, outcomes: { type: 'string', default: 'visit,conversion' }, json: { type: 'boolean', default: false } },
});
const seed = Number(values.seed);
const outcomes = values.outcomes.split(',') as Array<'visit' | 'conversion' | 'spend'>;
const ALL = ['visit', 'conversion', 'spend'];
/** Hillstrom's published per-arm figures (visit and conversion in %, spend in $ per customer). */
const PUBLISHED: Record<string, Record<string, number>> = {
  'Mens E-Mail': { visit: 18.28, conversion: 1.25, spend: 1.42 },
  'Womens E-Mail': { visit: 15.14, conversion: 0.88, spend: 1.08 },
  'No E-Mail': { visit: 10.62, conversion: 0.57, spend: 0.65 },
};

const text = gunzipSync(readFileSync(new URL('../../test/fixtures/hillstrom/hillstrom.csv.gz', import.meta.url))).toString('utf8');
const backend = await initBackend();
const results = [];
for (const arm of ['Mens E-Mail', 'Womens E-Mail']) {
  for (const outcome of outcomes) {
    const data = readExperiment(text, { treatmentColumn: 'segment', treatment: arm, control: 'No E-Mail', outcome, ignore: ALL.filter((o) => o !== outcome) });
    const started = Date.now();
    const r = evaluateExperiment(data, { seed });
    const unit = outcome === 'spend' ? 1 : 100;
    const h = r.model.holdout;
    const result = {
      arm,
      outcome,
      rows: data.n,
      publishedDifference: Number((PUBLISHED[arm]![outcome]! - PUBLISHED['No E-Mail']![outcome]!).toFixed(2)),
      ate: Number((r.ate * unit).toFixed(3)),
      ateCi: r.ateCi.map((v) => Number((v * unit).toFixed(3))),
      model: r.model.kind,
      holdoutAte: h.ate,
      upliftAtK: h.upliftAtK,
      qini: h.qini,
      upliftAt30OverAte: Number((h.upliftAtK['0.3'] / h.ate).toFixed(2)),
      models: r.models.map((m) => ({ kind: m.kind, selectionQini: m.selectionQini, qini: m.holdout.qini, upliftAt30: m.holdout.upliftAtK['0.3'] })),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    results.push(result);
    if (!values.json) {
      console.log(
        `${arm} vs No E-Mail, ${outcome}: ATE ${result.ate} (95% CI ${result.ateCi.join(' to ')}; published ${result.publishedDifference}` +
          `${outcome === 'spend' ? ' $' : ' pp'}); ${result.model} chosen: held-out uplift@30% ${h.upliftAtK['0.3'].toFixed(4)} = ` +
          `${result.upliftAt30OverAte}x the held-out ATE ${h.ate.toFixed(4)}, Qini ${h.qini.toFixed(3)} (${result.seconds} s)`,
      );
    }
  }
}
if (values.json) console.log(JSON.stringify({ backend: backend.name, seed, results }, null, 2));
