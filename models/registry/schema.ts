import { z } from 'zod';
import { CURVE_MAX_POINTS } from '../evaluate.js';

/**
 * What the registry stores besides the TF.js files: one `registry.json` per model name (the
 * index: champion, every version with its status and holdout metrics, and the history of
 * decisions) and, for CLV, the fitted parameters; uplift models keep theirs in uplift-model.ts.
 * Schema and type share a name.
 */
export const ModelName = z.enum(['churn', 'propensity', 'clv', 'uplift']);
export type ModelName = z.infer<typeof ModelName>;
export const MODEL_NAMES: readonly ModelName[] = ModelName.options;

export const VersionStatus = z.enum(['champion', 'challenger', 'retired', 'rolled-back']);
export type VersionStatus = z.infer<typeof VersionStatus>;

/**
 * One live backtest of a version (functions/jobs/backtest.ts): its scores given at `scoredAt`,
 * compared at `at` (a later training run) with what happened in the `horizonDays` after.
 * `source` says where the scores came from: a scoring run's snapshot, or replayed from the
 * version's weights on the events before `scoredAt` (only when those were after its training data).
 */
export const BacktestRecord = z.object({
  at: z.string(),
  scoredAt: z.string(),
  horizonDays: z.number().positive(),
  source: z.enum(['snapshot', 'replay']),
  n: z.number().int().nonnegative(),
  positives: z.number().int().nonnegative(),
  /** null when only one class occurred. */
  auc: z.number().nullable(),
  topDecileLift: z.number(),
  ece: z.number(),
});
export type BacktestRecord = z.infer<typeof BacktestRecord>;

/**
 * One realised backtest of an uplift version (functions/jobs/uplift-backtest.ts): campaign entries
 * that arrived after it was registered (never its training rows), whose attribution windows had
 * closed by `at`, scored with it as of entry, against what treated and held-out customers did.
 */
export const UpliftBacktestRecord = z.object({
  at: z.string(),
  /** Entries from this time (the version's registration) to `at`. */
  from: z.string(),
  campaigns: z.array(z.string()),
  n: z.number().int().nonnegative(),
  treated: z.number().int().nonnegative(),
  ate: z.number(),
  qini: z.number(),
  upliftAt30: z.number(),
});
export type UpliftBacktestRecord = z.infer<typeof UpliftBacktestRecord>;

export const VersionEntry = z.object({
  version: z.string().min(1),
  model: ModelName,
  /** When the version was registered (ISO). */
  createdAt: z.string(),
  status: VersionStatus,
  /** Why it has its status (the registry decision, a manual promotion's reason...). */
  reason: z.string(),
  featureVersion: z.string().optional(),
  dataHash: z.string(),
  backend: z.string().optional(),
  trainingWindow: z.object({ from: z.string(), to: z.string() }).optional(),
  /** Holdout the metrics are measured on (TF.js models); as-of time of the fit (CLV). */
  evalCutoff: z.string().optional(),
  horizonDays: z.number().optional(),
  /** Holdout metrics (rocAuc, prAuc, logLoss, brier...) or fit diagnostics (CLV). */
  metrics: z.record(z.string(), z.number()),
  /** The champion's figures on the same holdout, when there was a champion to compare with. */
  comparedWith: z
    .object({ version: z.string(), rocAuc: z.number().optional(), qini: z.number().optional(), error: z.string().optional() })
    .optional(),
  /** Live backtests, oldest first (absent in registries written before they were kept). */
  backtests: z.array(BacktestRecord).optional(),
  /** Uplift versions: realised backtests on later campaign entries, oldest first. */
  upliftBacktests: z.array(UpliftBacktestRecord).optional(),
  /** Set when the latest backtest's realised quality fell below the threshold; the reason says which. */
  flagged: z.boolean().optional(),
  flagReason: z.string().optional(),
});
export type VersionEntry = z.infer<typeof VersionEntry>;

export const RegistryAction = z.enum(['promoted', 'kept-challenger', 'manual-promote', 'rollback']);
export type RegistryAction = z.infer<typeof RegistryAction>;

export const HistoryEntry = z.object({
  at: z.string(),
  action: RegistryAction,
  version: z.string(),
  previousChampion: z.string().nullable(),
  reason: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const RegistryIndex = z.object({
  schemaVersion: z.literal(1),
  model: ModelName,
  champion: z.string().nullable(),
  /** Champions in the order they took over; rollback pops the top. */
  championStack: z.array(z.string()),
  versions: z.array(VersionEntry),
  history: z.array(HistoryEntry),
});
export type RegistryIndex = z.infer<typeof RegistryIndex>;

export const emptyIndex = (model: ModelName): RegistryIndex => ({
  schemaVersion: 1,
  model,
  champion: null,
  championStack: [],
  versions: [],
  history: [],
});

const TierThresholds = z.object({ diamond: z.number(), gold: z.number(), silver: z.number() });

/**
 * The CLV "model": BG/NBD and Gamma-Gamma parameters fitted on every customer's purchases before
 * `asOf`, in weeks, plus the CLV settings and the tier thresholds taken from the fitted
 * population's CLV quantiles (the default tiering when no absolute thresholds are configured).
 */
export const ClvModel = z.object({
  schemaVersion: z.literal(1),
  asOf: z.string(),
  unit: z.literal('weeks'),
  bgnbd: z.object({
    r: z.number().positive(),
    alpha: z.number().positive(),
    a: z.number().positive(),
    b: z.number().positive(),
    logLikelihood: z.number(),
    penalty: z.number(),
    degenerate: z.boolean(),
    converged: z.boolean(),
  }),
  gammaGamma: z.object({
    p: z.number().positive(),
    q: z.number().positive(),
    gamma: z.number().positive(),
    logLikelihood: z.number(),
    penalty: z.number(),
    customers: z.number(),
  }),
  clv: z.object({
    horizonMonths: z.number().int().positive(),
    discountRatePerMonth: z.number(),
    periodLengthWeeks: z.number().positive(),
  }),
  /** Fallback expected order value when Gamma-Gamma cannot give one (mean of all order days). */
  meanOrderValue: z.number().nonnegative(),
  tierQuantiles: TierThresholds,
  tierThresholds: TierThresholds,
  customers: z.number().int().nonnegative(),
  dataHash: z.string(),
  warnings: z.array(z.string()),
});
export type ClvModel = z.infer<typeof ClvModel>;

/* ---- evaluation reports ------------------------------------------------------------------ */

/** The holdout metrics of models/evaluate.ts `binaryMetrics`, as stored. */
export const HoldoutMetrics = z.object({
  n: z.number().int().nonnegative(),
  positives: z.number().int().nonnegative(),
  positiveRate: z.number(),
  rocAuc: z.number(),
  prAuc: z.number(),
  logLoss: z.number(),
  brier: z.number(),
});
export type HoldoutMetrics = z.infer<typeof HoldoutMetrics>;

export const BaselineName = z.enum(['recency', 'logisticRfm', 'bgnbd']);
export type BaselineName = z.infer<typeof BaselineName>;

const unit = z.number().min(0).max(1);

/**
 * Everything a console shows about one churn / propensity version, measured at registration
 * on the run's time holdout: `<model>/<version>/evaluation.json`. The curves are downsampled to
 * at most CURVE_MAX_POINTS points; thresholds are calibrated probabilities (a row is flagged at
 * or above one). `metrics` are the numbers in the version's registry entry.
 */
export const ModelEvaluation = z.object({
  schemaVersion: z.literal(1),
  version: z.string().min(1),
  model: z.enum(['churn', 'propensity']),
  /** Registration time (ISO), as in the registry entry. */
  createdAt: z.string(),
  holdout: z.object({
    /** ISO evaluation cutoff: features before it, labels from the horizon after it. */
    cutoff: z.string(),
    horizonDays: z.number().positive(),
    customers: z.number().int().nonnegative(),
    positives: z.number().int().nonnegative(),
  }),
  metrics: HoldoutMetrics,
  /** The baselines on the same holdout, in the order recency, logisticRfm, bgnbd; empty when the caller had none. */
  baselines: z.array(z.object({ name: BaselineName, label: z.string(), metrics: HoldoutMetrics })),
  roc: z.array(z.object({ fpr: unit, tpr: unit, threshold: z.number() })).max(CURVE_MAX_POINTS),
  pr: z.array(z.object({ recall: unit, precision: unit, threshold: z.number() })).max(CURVE_MAX_POINTS),
  /** Ten equal-width probability bins. */
  calibration: z
    .array(
      z.object({
        lower: z.number(),
        upper: z.number(),
        count: z.number().int().nonnegative(),
        meanPredicted: z.number(),
        observedRate: z.number(),
      }),
    )
    .length(10),
  /** Ten deciles, 1 = the highest-scored tenth. */
  lift: z
    .array(
      z.object({
        decile: z.number().int().min(1).max(10),
        count: z.number().int().nonnegative(),
        positives: z.number().int().nonnegative(),
        rate: z.number(),
        lift: z.number(),
        cumulativeGain: z.number(),
        cumulativeLift: z.number(),
      }),
    )
    .length(10),
  /** Permutation importance (drop in holdout ROC-AUC when the feature is shuffled), top 15, highest first. */
  featureImportance: z.array(z.object({ feature: z.string(), description: z.string(), importance: z.number() })).max(15),
});
export type ModelEvaluation = z.infer<typeof ModelEvaluation>;
