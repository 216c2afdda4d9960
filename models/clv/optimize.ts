/**
 * A deterministic, derivative-free minimiser (Nelder–Mead with restarts).
 *
 * Why Nelder–Mead: the CLV likelihoods have 3–4 parameters and cheap, smooth objectives, but
 * they contain lgamma and 2F1 terms whose analytic gradients are tedious and whose numeric
 * gradients are noisy far from the optimum. Callers optimise in log-parameter space so every
 * point the simplex visits maps to positive parameters. Restarting from the best vertex with a
 * fresh simplex is the classic cure for Nelder–Mead's premature collapse (McKinnon 1998).
 */

export interface MinimizeOptions {
  /** Initial simplex edge length per coordinate (log space: 0.5 ≈ a factor of 1.65). Default 0.5. */
  readonly step?: number;
  /** Iteration budget per run. Default 5,000. */
  readonly maxIterations?: number;
  /** Converged when the simplex's function spread is below fTol·(1+|f|). Default 1e-12. */
  readonly fTolerance?: number;
  /** ...and its largest coordinate distance from the best vertex is below xTolerance. Default 1e-8. */
  readonly xTolerance?: number;
  /** Restarts from the best vertex after a run converges. Default 3. */
  readonly restarts?: number;
}

export interface MinimizeResult {
  readonly x: number[];
  readonly fx: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** True when the last run met both tolerances within its budget and the restarts found nothing better. */
  readonly converged: boolean;
}

/**
 * Minimise `f` from `x0`. `f` may return +Infinity (or NaN, treated as +Infinity) to reject a
 * point, which is how callers impose bounds.
 */
export function minimize(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: MinimizeOptions = {},
): MinimizeResult {
  const step = options.step ?? 0.5;
  const maxIterations = options.maxIterations ?? 5_000;
  const fTol = options.fTolerance ?? 1e-12;
  const xTol = options.xTolerance ?? 1e-8;
  const restarts = options.restarts ?? 3;

  let evaluations = 0;
  const evaluate = (x: readonly number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };

  let best = [...x0];
  let bestF = evaluate(best);
  let iterations = 0;
  let converged = false;
  for (let run = 0; run <= restarts; run++) {
    const r = nelderMead(evaluate, best, bestF, step, maxIterations, fTol, xTol);
    iterations += r.iterations;
    const improved = bestF - r.fx;
    const previous = bestF;
    best = r.x;
    bestF = r.fx;
    converged = r.converged;
    // A restart that cannot improve on the previous run means we sit at a genuine minimum.
    if (run > 0 && r.converged && improved <= fTol * (1 + Math.abs(previous))) break;
  }
  return { x: best, fx: bestF, iterations, evaluations, converged };
}

function nelderMead(
  f: (x: readonly number[]) => number,
  x0: number[],
  f0: number,
  step: number,
  maxIterations: number,
  fTol: number,
  xTol: number,
): { x: number[]; fx: number; iterations: number; converged: boolean } {
  const n = x0.length;
  const simplex: number[][] = [x0];
  const values: number[] = [f0];
  for (let i = 0; i < n; i++) {
    const v = [...x0];
    v[i] = v[i]! + step;
    simplex.push(v);
    values.push(f(v));
  }
  const order = simplex.map((_, i) => i);
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    order.sort((i, j) => values[i]! - values[j]!);
    const bestI = order[0]!;
    const worstI = order[n]!;
    const secondWorstI = order[n - 1]!;
    const fBest = values[bestI]!;
    const fWorst = values[worstI]!;

    let size = 0;
    for (const i of order) {
      for (let k = 0; k < n; k++) size = Math.max(size, Math.abs(simplex[i]![k]! - simplex[bestI]![k]!));
    }
    if (Number.isFinite(fWorst) && fWorst - fBest <= fTol * (1 + Math.abs(fBest)) && size <= xTol) {
      converged = true;
      break;
    }

    const centroid = new Array<number>(n).fill(0);
    for (const i of order.slice(0, n)) {
      for (let k = 0; k < n; k++) centroid[k] = centroid[k]! + simplex[i]![k]! / n;
    }
    const along = (t: number): number[] =>
      centroid.map((c, k) => c + t * (simplex[worstI]![k]! - c));

    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < fBest) {
      const expanded = along(-2);
      const fe = f(expanded);
      if (fe < fr) replace(worstI, expanded, fe);
      else replace(worstI, reflected, fr);
      continue;
    }
    if (fr < values[secondWorstI]!) {
      replace(worstI, reflected, fr);
      continue;
    }
    // Contraction: outside if the reflection beat the worst vertex, inside otherwise.
    const outside = fr < fWorst;
    const contracted = along(outside ? -0.5 : 0.5);
    const fc = f(contracted);
    if (fc < (outside ? fr : fWorst)) {
      replace(worstI, contracted, fc);
      continue;
    }
    // Shrink every vertex towards the best one.
    for (const i of order.slice(1)) {
      const v = simplex[i]!.map((x, k) => simplex[bestI]![k]! + 0.5 * (x - simplex[bestI]![k]!));
      replace(i, v, f(v));
    }
  }
  let bestI = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[bestI]!) bestI = i;
  return { x: simplex[bestI]!, fx: values[bestI]!, iterations, converged };

  function replace(i: number, v: number[], fv: number): void {
    simplex[i] = v;
    values[i] = fv;
  }
}
