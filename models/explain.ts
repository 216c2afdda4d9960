import * as tf from '@tensorflow/tfjs';
import { predictLogits, type TrainedModel } from './churn-model.js';
import { MetricInputError, rocAuc } from './evaluate.js';
import { FEATURES, toModelInput, type FeatureName, type FeatureVector } from './features.js';
import { applyPlatt, standardise } from './logistic.js';
import { createRng, permutation, subSeed } from './random.js';

/**
 * "Top reasons" for a score, in words a marketer understands. Contribution of a feature =
 * how much the model's logit drops when that one feature is replaced by its training average
 * (occlusion). Positive = pushes towards the model's positive class (churn, or purchase).
 * Model-agnostic and exact for what the network computes, at the cost of one extra forward
 * pass per informative feature, batched.
 */

export interface Reason {
  readonly feature: FeatureName;
  readonly description: string;
  /** The customer's raw value (days, counts, money), for phrasing ("120 days"). */
  readonly value: number;
  /** Change in logit attributable to this feature (positive = towards the positive class). */
  readonly contribution: number;
}

/** The `k` features that push each customer's score up the most. */
export function topReasons(model: TrainedModel, customers: readonly FeatureVector[], k = 3): Reason[][] {
  const specs = FEATURES.filter((_, j) => (model.normalisation.std[j] ?? 0) > 1e-9);
  const base = predictLogits(model, customers);
  // Features that were constant in training are mapped to 0 by the model and cannot be reasons.
  const occluded: FeatureVector[] = [];
  for (const f of customers) for (const spec of specs) occluded.push(occlude(model, f, spec.name));
  const logits = predictLogits(model, occluded);
  return customers.map((f, i) => {
    const reasons = specs.map((spec, s) => ({
      feature: spec.name,
      description: spec.description,
      value: f[spec.name],
      contribution: (base[i] as number) - (logits[i * specs.length + s] as number),
    }));
    return reasons
      .filter((r) => r.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, k);
  });
}

/** The feature vector with `name` set to the raw value whose model input is the training mean. */
function occlude(model: TrainedModel, f: FeatureVector, name: FeatureName): FeatureVector {
  const j = FEATURES.findIndex((s) => s.name === name);
  const spec = FEATURES[j];
  const mean = model.normalisation.mean[j] ?? 0;
  let raw = mean;
  if (spec?.transform === 'log1p') raw = Math.expm1(mean);
  else if (spec?.transform === 'signedLog1p') raw = Math.sign(mean) * Math.expm1(Math.abs(mean));
  return { ...f, [name]: raw };
}

/* ---- global importance ------------------------------------------------------------------- */

export interface FeatureImportance {
  readonly feature: FeatureName;
  readonly description: string;
  /** Holdout ROC-AUC minus the mean ROC-AUC with this feature's column shuffled. */
  readonly importance: number;
}

export interface PermutationImportanceOptions {
  readonly seed: number;
  /**
   * Shuffles per feature, averaged (default 10): one shuffle's AUC drop is noisy on small
   * holdouts (on the simulated population two seeds' top 15 share 9-11 features at 5 shuffles,
   * 13 at 10).
   */
  readonly repeats?: number;
  /**
   * Rows used at most (default 5,000; a seeded sample beyond it): the cost is linear in rows,
   * and 5,000 rows already measure AUC drops of a few thousandths.
   */
  readonly maxRows?: number;
  /**
   * 'auto' (default): the dense fast path when the network is a stack of dense ReLU / linear
   * layers, else TF.js. 'tf' forces batched TF.js passes (tests compare the two).
   */
  readonly engine?: 'auto' | 'tf';
}

/** Rows per TF.js pass: measured fastest on the wasm backend (much larger batches slow it down). */
const PASS_ROWS = 4096;

/**
 * Permutation importance (Breiman; scikit-learn's permutation_importance): how much the ROC-AUC
 * on labelled rows drops when one feature's column is shuffled, breaking its link with the label
 * while keeping its distribution. Unlike the occlusion used for reasons, it measures what the
 * ranking the model is judged on loses. Correlated features share the credit (shuffling one,
 * the model still reads the others), so each of a family of similar features (visits over 30
 * and 90 days) scores lower than the family would. Each feature's shuffles come from its own
 * seeded generator: the result depends only on (model, rows, labels, seed).
 *
 * Cost: repeats x informative features forward passes over the rows, 10 x ~70 x 2,000 = 1.4
 * million rows for the simulated population: 35-50 s through TF.js wasm (batched) on the shared
 * 2-core machine. Shuffling one column only moves the first layer's pre-activations along that
 * column's weight row, so for the dense networks churn-model builds the pre-activations are
 * computed once and each shuffled row costs the rest of the network only, in plain JS (~5x
 * fewer multiply-adds, no per-call overhead: 3-7 s; checked against TF.js on the unshuffled
 * rows, else TF.js does every pass).
 * Columns are shuffled in the standardised input matrix (shuffling a raw column and
 * transforming it is the same, the transforms being per value). Features constant in training
 * (the model maps them to 0) or in these rows (a shuffle changes nothing) score 0 without a
 * pass. Sorted by importance, highest first; ties keep the feature list's order.
 */
export function permutationImportance(
  model: TrainedModel,
  rows: readonly FeatureVector[],
  labels: readonly number[],
  options: PermutationImportanceOptions,
): FeatureImportance[] {
  const repeats = options.repeats ?? 10;
  const maxRows = options.maxRows ?? 5000;
  if (rows.length !== labels.length) throw new MetricInputError(`rows (${rows.length}) and labels (${labels.length}) differ in length`);
  let sample = rows.map((_, i) => i);
  if (rows.length > maxRows) sample = permutation(rows.length, createRng(subSeed(options.seed, 999))).slice(0, maxRows).sort((a, b) => a - b);
  const y = sample.map((i) => labels[i] as number);
  const vectors = sample.map((i) => rows[i] as FeatureVector);
  const n = vectors.length;
  const dim = FEATURES.length;
  // predictLogits refuses a model of another feature version before any matrix is built.
  const baseLogits = predictLogits(model, vectors);
  const aucOf = (logits: ArrayLike<number>): number => rocAuc(y, Array.from(logits, (z) => applyPlatt(model.calibration, z)));
  const baseAuc = aucOf(baseLogits);
  const x = new Float32Array(n * dim);
  vectors.forEach((f, i) => x.set(standardise(toModelInput(f), model.normalisation), i * dim));

  const fast = options.engine === 'tf' ? undefined : RankOneForward.of(model.network, x, n, dim, baseLogits);
  const drop = new Array<number>(dim).fill(0);
  const jobs: Array<{ j: number; order: number[] }> = [];
  const flush = (): void => {
    if (jobs.length === 0) return;
    const logits = logitsOfMatrix(model, shuffledCopies(x, n, dim, jobs), jobs.length * n, dim);
    jobs.forEach((job, k) => {
      drop[job.j] = (drop[job.j] as number) + (baseAuc - aucOf(logits.subarray(k * n, (k + 1) * n))) / repeats;
    });
    jobs.length = 0;
  };
  FEATURES.forEach((spec, j) => {
    if ((model.normalisation.std[j] ?? 0) <= 1e-9) return;
    if (vectors.every((f) => f[spec.name] === (vectors[0] as FeatureVector)[spec.name])) return;
    const rng = createRng(subSeed(options.seed, 1000 + j));
    for (let r = 0; r < repeats; r++) {
      const order = permutation(n, rng);
      if (fast) {
        drop[j] = (drop[j] as number) + (baseAuc - aucOf(fast.logitsWithColumnShuffled(j, order))) / repeats;
        continue;
      }
      jobs.push({ j, order });
      if ((jobs.length + 1) * n > PASS_ROWS) flush();
    }
  });
  flush();
  return FEATURES.map((spec, j) => ({ feature: spec.name, description: spec.description, importance: drop[j] as number, j }))
    .sort((a, b) => b.importance - a.importance || a.j - b.j)
    .map(({ feature, description, importance }) => ({ feature, description, importance }));
}

/** One copy of the matrix per job, with the job's column shuffled. */
function shuffledCopies(x: Float32Array, n: number, dim: number, jobs: ReadonlyArray<{ j: number; order: readonly number[] }>): Float32Array {
  const out = new Float32Array(jobs.length * n * dim);
  jobs.forEach((job, k) => {
    const offset = k * n * dim;
    out.set(x, offset);
    for (let i = 0; i < n; i++) out[offset + i * dim + job.j] = x[(job.order[i] as number) * dim + job.j] as number;
  });
  return out;
}

/** Logits of an already standardised matrix, PASS_ROWS at a time (predictLogits' pass, minus rebuilding inputs). */
function logitsOfMatrix(model: TrainedModel, x: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i += PASS_ROWS) {
    const m = Math.min(PASS_ROWS, rows - i);
    out.set(tf.tidy(() => (model.network.predict(tf.tensor2d(x.subarray(i * dim, (i + m) * dim), [m, dim])) as tf.Tensor).dataSync()), i);
  }
  return out;
}

interface DenseLayer {
  /** Row-major [inputs][units]. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly units: number;
  readonly relu: boolean;
}

/**
 * The network's forward pass with the first layer's pre-activations of the unshuffled rows
 * kept: a row whose column j is replaced moves them by (new - old) x kernel row j, and only the
 * layers after the first are recomputed. Float64 arithmetic over the float32 weights.
 */
class RankOneForward {
  private constructor(
    private readonly layers: readonly DenseLayer[],
    private readonly x: Float32Array,
    private readonly n: number,
    private readonly dim: number,
    /** First-layer pre-activations of the unshuffled rows, [n][units]. */
    private readonly pre: Float64Array,
  ) {}

  /**
   * The fast path for `network`, or undefined when it is not a stack of dense ReLU / linear
   * layers ending in one logit, or when it does not reproduce TF.js's logits on the rows.
   */
  static of(network: tf.LayersModel, x: Float32Array, n: number, dim: number, expected: readonly number[]): RankOneForward | undefined {
    const layers = denseLayers(network);
    const first = layers?.[0];
    if (!layers || !first || first.kernel.length !== dim * first.units || layers[layers.length - 1]?.units !== 1) return undefined;
    const pre = new Float64Array(n * first.units);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < first.units; k++) {
        let z = first.bias[k] as number;
        for (let c = 0; c < dim; c++) z += (x[i * dim + c] as number) * (first.kernel[c * first.units + k] as number);
        pre[i * first.units + k] = z;
      }
    }
    const forward = new RankOneForward(layers, x, n, dim, pre);
    // Guards against a layer semantics this reading misses: the unshuffled rows must come out as TF.js computes them.
    const mine = forward.logitsWithColumnShuffled(0, Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < n; i++) {
      const want = expected[i] as number;
      if (!(Math.abs((mine[i] as number) - want) <= 1e-4 * (1 + Math.abs(want)))) return undefined;
    }
    return forward;
  }

  logitsWithColumnShuffled(j: number, order: readonly number[]): Float64Array {
    const [first, ...rest] = this.layers as [DenseLayer, ...DenseLayer[]];
    const widest = Math.max(...this.layers.map((l) => l.units));
    let a = new Float64Array(widest);
    let b = new Float64Array(widest);
    const out = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const delta = (this.x[(order[i] as number) * this.dim + j] as number) - (this.x[i * this.dim + j] as number);
      for (let k = 0; k < first.units; k++) {
        const z = (this.pre[i * first.units + k] as number) + delta * (first.kernel[j * first.units + k] as number);
        a[k] = first.relu && z < 0 ? 0 : z;
      }
      let width = first.units;
      for (const layer of rest) {
        for (let k = 0; k < layer.units; k++) {
          let z = layer.bias[k] as number;
          for (let c = 0; c < width; c++) z += (a[c] as number) * (layer.kernel[c * layer.units + k] as number);
          b[k] = layer.relu && z < 0 ? 0 : z;
        }
        [a, b] = [b, a];
        width = layer.units;
      }
      out[i] = a[0] as number;
    }
    return out;
  }
}

/** The network as dense layers, or undefined when any layer is something else. */
function denseLayers(network: tf.LayersModel): DenseLayer[] | undefined {
  const layers: DenseLayer[] = [];
  for (const layer of network.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const activation = layer.getConfig()['activation'];
    const weights = layer.getWeights();
    const [kernel, bias] = weights;
    if (layer.getClassName() !== 'Dense' || (activation !== 'relu' && activation !== 'linear') || weights.length !== 2 || !kernel || !bias) return undefined;
    const units = kernel.shape[1] ?? 0;
    if (kernel.shape.length !== 2 || bias.shape[0] !== units || (layers.length > 0 && kernel.shape[0] !== layers[layers.length - 1]?.units)) return undefined;
    layers.push({ kernel: Float32Array.from(kernel.dataSync()), bias: Float32Array.from(bias.dataSync()), units, relu: activation === 'relu' });
  }
  return layers.length > 0 ? layers : undefined;
}
