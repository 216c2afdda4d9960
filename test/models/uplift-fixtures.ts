import { createRng } from '../../models/random.js';

/**
 * A randomized e-mail experiment with a documented effect, as CSV text: half the rows are
 * e-mailed ("Email, v1", a quoted arm value with a comma), half are not ("None").
 * Base visit rate 0.15, +0.10 if recency < 90 days. True uplift per row:
 *   segment c -> −0.05 (do-not-disturbs); segments a, b: age < 40 -> +0.25 (persuadables), else +0.02.
 * `spend` is an amount (0 without a visit) that would leak the outcome: ignore it when the
 * outcome is `visit`. Returns the CSV and the sample's true ATE (mean of the true uplifts).
 */
export function syntheticExperiment(n: number, seed: number): { csv: string; trueAte: number; trueSpendAte: number } {
  const rng = createRng(seed);
  const lines = ['id,arm,age,segment,"recency, days",visit,spend'];
  let upliftSum = 0;
  for (let i = 0; i < n; i++) {
    const age = Math.floor(20 + rng() * 50);
    const segment = ['a', 'b', 'c'][Math.floor(rng() * 3)]!;
    const recency = Math.floor(rng() * 365);
    const treated = rng() < 0.5;
    const uplift = segment === 'c' ? -0.05 : age < 40 ? 0.25 : 0.02;
    upliftSum += uplift;
    const p = 0.15 + (recency < 90 ? 0.1 : 0) + (treated ? uplift : 0);
    const visit = rng() < p ? 1 : 0;
    const spend = visit ? Math.round(rng() * 100 * 100) / 100 : 0;
    lines.push(`${i},${treated ? '"Email, v1"' : 'None'},${age},${segment},${recency},${visit},${spend}`);
  }
  // Spend given a visit is uniform on [0, 100] (mean 50) in both arms.
  return { csv: `${lines.join('\n')}\n`, trueAte: upliftSum / n, trueSpendAte: (50 * upliftSum) / n };
}
