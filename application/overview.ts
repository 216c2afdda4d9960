import type { CustomerScore, ValueTier } from '../models/scoring/customer-score.js';
import type { LifecycleStage } from '../models/scoring/lifecycle.js';
import {
  aggregateScores,
  CHURN_HISTOGRAM_BINS,
  listAllScores,
  listScoringRuns,
  type ScoreAggregate,
  type ScoringRun,
} from '../functions/store/scores.js';

/**
 * The overview: the population as the stored scores describe it (customers by lifecycle
 * stage and value tier, the churn-probability histogram, revenue at risk = sum of CLV x churn
 * probability) and the change since the previous scoring run, whose aggregate the scoring job
 * stored (functions/store/scores.ts). `winback overview --json` prints it and the console's
 * overview page shows it.
 */
export interface HistogramBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

export interface OverviewFigures {
  readonly customers: number;
  readonly byTier: Record<ValueTier, number>;
  readonly byStage: Record<LifecycleStage, number>;
  readonly churnHistogram: HistogramBin[];
  readonly atRisk: number;
  /** Mean churn probability, 4 decimals; null without customers. */
  readonly meanChurnProbability: number | null;
  /** Money to the cent (the currencies of the orders; the simulator and the data sets use one). */
  readonly clvTotal: number;
  readonly revenueAtRisk: number;
}

export interface OverviewRun {
  readonly scoredAt: string;
  readonly models: ScoringRun['models'];
  readonly churnThreshold: number;
  readonly complete: boolean;
  readonly shards: number;
  readonly shardsReported: number;
  readonly figures: OverviewFigures;
}

export interface OverviewTrend {
  /** The previous complete run the current figures are compared with. */
  readonly since: string;
  readonly customers: number;
  readonly atRisk: number;
  readonly revenueAtRisk: number;
  readonly meanChurnProbability: number | null;
  readonly byTier: Record<ValueTier, number>;
  readonly byStage: Record<LifecycleStage, number>;
}

export interface TopAtRisk {
  readonly customerId: string;
  readonly tier: ValueTier;
  readonly stage: LifecycleStage;
  readonly churnProbability: number;
  readonly clv12m: number;
  readonly revenueAtRisk: number;
}

export interface Overview {
  /** Newest score time among the stored scores; null before the first scoring run. */
  readonly scoredAt: string | null;
  /** Stored scores by their score time (one entry when the last run scored everyone). */
  readonly scoreTimes: Record<string, number>;
  /** The churn threshold the newest scores were flagged at risk with (CHURN_THRESHOLD of that run). */
  readonly churnThreshold: number | null;
  readonly current: OverviewFigures;
  /** The stored aggregate of the run at `scoredAt`, when that run recorded one. */
  readonly latestRun: OverviewRun | null;
  /** The newest complete run before `scoredAt`. */
  readonly previousRun: OverviewRun | null;
  /** current - previousRun; null without a previous run. */
  readonly trend: OverviewTrend | null;
  /** The customers with the most revenue at risk (CLV x churn probability), highest first. */
  readonly topAtRisk: TopAtRisk[];
}

const TOP_AT_RISK = 10;
const cents = (x: number): number => Math.round(x * 100) / 100;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export function figuresOf(a: ScoreAggregate): OverviewFigures {
  return {
    customers: a.customers,
    byTier: a.byTier,
    byStage: a.byStage,
    churnHistogram: a.churnHistogram.map((count, i) => ({
      lower: round4(i / CHURN_HISTOGRAM_BINS),
      upper: round4((i + 1) / CHURN_HISTOGRAM_BINS),
      count,
    })),
    atRisk: a.atRisk,
    meanChurnProbability: a.customers > 0 ? round4(a.churnProbabilitySum / a.customers) : null,
    clvTotal: cents(a.clvTotal),
    revenueAtRisk: cents(a.revenueAtRisk),
  };
}

function runOf(r: ScoringRun): OverviewRun {
  return {
    scoredAt: r.scoredAt,
    models: r.models,
    churnThreshold: r.churnThreshold,
    complete: r.complete,
    shards: r.shards,
    shardsReported: r.shardsReported,
    figures: figuresOf(r.aggregate),
  };
}

function diff<K extends string>(now: Record<K, number>, before: Record<K, number>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of Object.keys(now) as K[]) out[k] = now[k] - (before[k] ?? 0);
  return out;
}

export function trendOf(current: OverviewFigures, previous: OverviewRun): OverviewTrend {
  const p = previous.figures;
  return {
    since: previous.scoredAt,
    customers: current.customers - p.customers,
    atRisk: current.atRisk - p.atRisk,
    revenueAtRisk: cents(current.revenueAtRisk - p.revenueAtRisk),
    meanChurnProbability:
      current.meanChurnProbability !== null && p.meanChurnProbability !== null ? round4(current.meanChurnProbability - p.meanChurnProbability) : null,
    byTier: diff(current.byTier, p.byTier),
    byStage: diff(current.byStage, p.byStage),
  };
}

function topAtRisk(scores: readonly CustomerScore[]): TopAtRisk[] {
  return scores
    .map((s) => ({ s, risk: s.clv12m * s.churnProbability }))
    .sort((a, b) => b.risk - a.risk || (a.s.customerId < b.s.customerId ? -1 : 1))
    .slice(0, TOP_AT_RISK)
    .map(({ s, risk }) => ({
      customerId: s.customerId,
      tier: s.tier,
      stage: s.stage,
      churnProbability: round4(s.churnProbability),
      clv12m: cents(s.clv12m),
      revenueAtRisk: cents(risk),
    }));
}

/** The overview from the table: every stored score, and the stored aggregates of the recent runs. */
export async function buildOverview(table: string): Promise<Overview> {
  const [unordered, runs] = await Promise.all([listAllScores(table), listScoringRuns(table, { completeRuns: 2 })]);
  // A fixed order, so that the float sums are the same however the index returned the items.
  const scores = [...unordered].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  const scoreTimes: Record<string, number> = {};
  for (const s of scores) scoreTimes[s.scoredAt] = (scoreTimes[s.scoredAt] ?? 0) + 1;
  const scoredAt = Object.keys(scoreTimes).sort().at(-1) ?? null;
  const current = figuresOf(aggregateScores(scores));
  const latest = runs.find((r) => r.scoredAt === scoredAt);
  const previous = runs.find((r) => r.complete && scoredAt !== null && r.scoredAt < scoredAt);
  const previousRun = previous ? runOf(previous) : null;
  return {
    scoredAt,
    scoreTimes,
    churnThreshold: scores.find((s) => s.scoredAt === scoredAt)?.churnThreshold ?? null,
    current,
    latestRun: latest ? runOf(latest) : null,
    previousRun,
    trend: previousRun ? trendOf(current, previousRun) : null,
    topAtRisk: topAtRisk(scores),
  };
}
