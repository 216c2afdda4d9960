/**
 * Uplift models in TensorFlow.js (the caller initialises the backend, models/tf/backend.ts):
 *
 * - `two-model` (T-learner): one network fitted on the treated rows, one on the controls;
 *   uplift(x) = E[y | x, treated] − E[y | x, control].
 * - `class-transformation` (0/1 outcomes; Jaskowski & Jaroszewicz 2012): z = 1 when a treated
 *   row converted or a control row did not; with both arms weighted to equal mass,
 *   uplift(x) = 2·P(z = 1 | x) − 1. The weights make it valid when the arms are unequal (the
 *   original needs a 50/50 split).
 * - `transformed-outcome` (amounts; Athey & Imbens 2016): y* = y·(t − p)/(p(1 − p)) has
 *   E[y* | x] = uplift(x), so a squared-loss regression on y* estimates the uplift directly.
 *   It replaces class-transformation when the outcome is not 0/1.
 *
 * Networks are small MLPs (the churn model's factory), trained with Adam and early stopping on
 * a seeded validation split of the training rows; everything random derives from the seed.
 */
import * as tf from '@tensorflow/tfjs';
import { createModel, type TrainOptions } from '../churn-model.js';
import { createRng, permutation, subSeed } from '../random.js';
import { ExperimentDataError } from './experiment.js';

export type UpliftKind = 'two-model' | 'class-transformation' | 'transformed-outcome';
type Loss = 'logistic' | 'squared';

/** The churn network's training options, without its progress callback. */
export type NetOptions = Omit<TrainOptions, 'onEpoch'>;

/** A network as plain data (weights as arrays): what the registry stores. */
export interface StoredNet {
  readonly loss: Loss;
  readonly hiddenUnits: readonly number[];
  readonly inputDim: number;
  /** Multiplier of the network's output (squared loss trains on y / scale). */
  readonly scale: number;
  readonly weights: ReadonlyArray<{ readonly shape: readonly number[]; readonly values: readonly number[] }>;
}

export interface UpliftModel {
  readonly kind: UpliftKind;
  readonly nets: readonly StoredNet[];
  /** Treated share p of the training rows (class transformation, transformed outcome). */
  readonly treatedShare: number;
}

// lr 1e-2: at 3e-3 the class-transformation network (a weak signal in a noisy label) stopped early
// without learning on some seeds (Qini 0.04 vs 0.12 on the campaign test data).
const DEFAULTS = { hiddenUnits: [16], maxEpochs: 40, batchSize: 256, learningRate: 1e-2, l2: 1e-4, patience: 5, validationFraction: 0.2 };

function trainNet(x: readonly number[][], y: readonly number[], w: readonly number[], loss: Loss, options: NetOptions): StoredNet {
  const o = { ...DEFAULTS, ...options };
  const dim = x[0]?.length ?? 0;
  if (x.length < 10 || dim === 0) throw new ExperimentDataError(`too few rows to train on (${x.length})`);
  // Squared loss on outcomes scaled to unit spread keeps Adam's step size meaningful for amounts.
  const spread = loss === 'squared' ? Math.sqrt(y.reduce((s, v) => s + v * v, 0) / y.length) || 1 : 1;
  const order = permutation(x.length, createRng(subSeed(o.seed, 3)));
  const nVal = Math.max(1, Math.round(x.length * o.validationFraction));
  const valIdx = order.slice(0, nVal);
  const fitIdx = order.slice(nVal);
  const tensors = (idx: readonly number[]): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] => [
    tf.tensor2d(idx.map((i) => x[i]!), [idx.length, dim]),
    tf.tensor2d(idx.map((i) => [y[i]! / spread]), [idx.length, 1]),
    tf.tensor2d(idx.map((i) => [w[i]!]), [idx.length, 1]),
  ];
  const lossOf = (yt: tf.Tensor, out: tf.Tensor, wt: tf.Tensor): tf.Scalar =>
    (loss === 'logistic'
      ? tf.losses.sigmoidCrossEntropy(yt, out, wt, 0, tf.Reduction.SUM)
      : tf.losses.meanSquaredError(yt, out, wt, tf.Reduction.SUM)
    ).div(wt.sum()) as tf.Scalar;

  const network = createModel(dim, { hiddenUnits: o.hiddenUnits, seed: o.seed });
  const optimizer = tf.train.adam(o.learningRate);
  const variables = network.trainableWeights.map((v) => v.read() as tf.Variable);
  const kernels = variables.filter((v) => v.shape.length === 2);
  const [xVal, yVal, wVal] = tensors(valIdx);
  const rng = createRng(subSeed(o.seed, 4));
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const shuffled = permutation(fitIdx.length, rng).map((k) => fitIdx[k]!);
      for (let start = 0; start < shuffled.length; start += o.batchSize) {
        const [xb, yb, wb] = tensors(shuffled.slice(start, start + o.batchSize));
        const cost = optimizer.minimize(
          () => {
            const data = lossOf(yb, network.apply(xb, { training: true }) as tf.Tensor, wb);
            const penalty = kernels.reduce((acc: tf.Scalar, k) => acc.add(k.square().sum()) as tf.Scalar, tf.scalar(0));
            return data.add(penalty.mul(o.l2)) as tf.Scalar;
          },
          false,
          variables,
        );
        cost?.dispose();
        tf.dispose([xb, yb, wb]);
      }
      const v = tf.tidy(() => lossOf(yVal, network.predict(xVal) as tf.Tensor, wVal).dataSync()[0] as number);
      if (v < best.loss - 1e-6) {
        tf.dispose(best.weights);
        best = { loss: v, epoch, weights: network.getWeights().map((t) => t.clone()) };
      } else if (epoch - best.epoch >= o.patience) break;
    }
    network.setWeights(best.weights);
    return {
      loss,
      hiddenUnits: [...o.hiddenUnits],
      inputDim: dim,
      scale: spread,
      weights: network.getWeights().map((t) => ({ shape: [...t.shape], values: Array.from(t.dataSync()) })),
    };
  } finally {
    tf.dispose([...best.weights, xVal, yVal, wVal]);
    optimizer.dispose();
    network.dispose();
  }
}

/** Predictions of a stored network: probabilities (logistic) or outcomes (squared). */
export function predictNet(net: StoredNet, x: readonly number[][]): number[] {
  if (x.length === 0) return [];
  if ((x[0]?.length ?? 0) !== net.inputDim) throw new ExperimentDataError(`rows have ${x[0]?.length} inputs, the model ${net.inputDim}`);
  const network = createModel(net.inputDim, { hiddenUnits: net.hiddenUnits, seed: 0 });
  const weights = net.weights.map((w) => tf.tensor(w.values as number[], w.shape as number[]));
  try {
    network.setWeights(weights);
    return tf.tidy(() => {
      const out = network.predict(tf.tensor2d(x as number[][], [x.length, net.inputDim])) as tf.Tensor;
      return Array.from((net.loss === 'logistic' ? tf.sigmoid(out) : out.mul(net.scale)).dataSync());
    });
  } finally {
    tf.dispose(weights);
    network.dispose();
  }
}

/** Trains an uplift model of `kind` on rows (x, t, y). */
export function trainUplift(
  kind: 'two-model' | 'class-transformation',
  x: readonly number[][],
  t: readonly number[],
  y: readonly number[],
  options: NetOptions,
): UpliftModel {
  const binary = y.every((v) => v === 0 || v === 1);
  const p = t.reduce((s, v) => s + v, 0) / t.length;
  const loss: Loss = binary ? 'logistic' : 'squared';
  if (kind === 'two-model') {
    const arm = (flag: number): StoredNet => {
      const idx = t.flatMap((v, i) => (v === flag ? [i] : []));
      return trainNet(idx.map((i) => x[i]!), idx.map((i) => y[i]!), idx.map(() => 1), loss, { ...options, seed: subSeed(options.seed, 20 + flag) });
    };
    return { kind, nets: [arm(1), arm(0)], treatedShare: p };
  }
  if (binary) {
    const z = y.map((v, i) => (v === t[i] ? 1 : 0));
    const w = t.map((v) => (v === 1 ? 0.5 / p : 0.5 / (1 - p)));
    return { kind: 'class-transformation', nets: [trainNet(x, z, w, 'logistic', options)], treatedShare: p };
  }
  const yStar = y.map((v, i) => (v * (t[i]! - p)) / (p * (1 - p)));
  return { kind: 'transformed-outcome', nets: [trainNet(x, yStar, y.map(() => 1), 'squared', options)], treatedShare: p };
}

/** Predicted uplift per row. */
export function predictUplift(model: UpliftModel, x: readonly number[][]): number[] {
  if (model.kind === 'two-model') {
    const treated = predictNet(model.nets[0]!, x);
    const control = predictNet(model.nets[1]!, x);
    return treated.map((v, i) => v - control[i]!);
  }
  const out = predictNet(model.nets[0]!, x);
  return model.kind === 'class-transformation' ? out.map((v) => 2 * v - 1) : out;
}
