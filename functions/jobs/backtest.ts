import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { backtestMetrics } from '../../models/backtest-metrics.js';
import { disposeModel, predictProba } from '../../models/churn-model.js';
import { addDays, buildTrainingSet, label, type Target } from '../../models/labels.js';
import { customerHash, listSnapshotRuns, readScoreSnapshots, recordBacktest } from '../../models/registry/backtest.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import type { BacktestRecord, VersionEntry } from '../../models/registry/schema.js';

/**
 * The live backtest, run by the training job after each retraining: the previous champion's
 * scores from one horizon before the end of the data are compared with what happened in that
 * horizon (churn: no placed order; propensity: a placed order) and kept on its registry entry,
 * flagged when the realised AUC falls below a threshold.
 *
 * The scores come from the scoring run's snapshot nearest before that time (within a tolerance)
 * that the champion scored; without one, they are replayed from the champion's weights on the
 * events before that time, but only when that time is after the champion's own training and
 * holdout data (else the "backtest" would be in-sample and say nothing). The population is the
 * training job's, so erased customers are already left out.
 */

export const DEFAULT_BACKTEST_MIN_AUC = 0.6;
const DEFAULT_TOLERANCE_DAYS = 14;

export interface BacktestInput {
  readonly registry: ModelRegistry;
  readonly target: Target;
  /** The champion before this training run's registration (its entry as it was). */
  readonly champion: VersionEntry | undefined;
  readonly population: ReadonlyMap<string, readonly StoredEvent[]>;
  /** End of the data (midnight after the last event). */
  readonly end: Date;
  readonly now: Date;
  readonly horizonDays: number;
  readonly minAuc?: number;
  /** How far before end - horizon a snapshot may be and still count (days). */
  readonly toleranceDays?: number;
}

export type BacktestOutcome =
  | { readonly status: 'recorded'; readonly version: string; readonly record: BacktestRecord; readonly flagged: boolean; readonly reason?: string }
  | { readonly status: 'skipped'; readonly version: string | null; readonly reason: string };

interface Scored {
  readonly scoredAt: Date;
  readonly source: BacktestRecord['source'];
  readonly labels: number[];
  readonly probs: number[];
}

async function fromSnapshot(input: BacktestInput, champion: VersionEntry, target: Date, horizonDays: number): Promise<Scored | undefined> {
  const store = input.registry.store;
  const earliest = addDays(target, -(input.toleranceDays ?? DEFAULT_TOLERANCE_DAYS)).toISOString();
  const runs = (await listSnapshotRuns(store)).filter((r) => r.scoredAt <= target.toISOString() && r.scoredAt >= earliest).reverse();
  const column = input.target === 'churn' ? 0 : 1;
  // The snapshot holds every scored customer (10 M in AWS), the population only the training
  // sample: parts are read one at a time and only the population's scores kept, so the training
  // worker's memory follows the sample, not the customer base.
  const ids = [...input.population.keys()].sort();
  const wanted = new Set(ids.map(customerHash));
  for (const run of runs) {
    const byHash = new Map<string, number>();
    let scoredAt: Date | undefined;
    for (const key of run.keys) {
      const [part] = await readScoreSnapshots(store, [key]);
      if (!part || part.models[input.target] !== champion.version) continue;
      scoredAt ??= new Date(part.scoredAt);
      for (const [h, s] of Object.entries(part.scores)) if (wanted.has(h)) byHash.set(h, s[column]);
    }
    if (!scoredAt) continue;
    const labels: number[] = [];
    const probs: number[] = [];
    for (const id of ids) {
      const p = byHash.get(customerHash(id));
      if (p === undefined) continue;
      labels.push(label(input.target, input.population.get(id) ?? [], scoredAt, horizonDays));
      probs.push(p);
    }
    if (labels.length > 0) return { scoredAt, source: 'snapshot', labels, probs };
  }
  return undefined;
}

async function fromReplay(input: BacktestInput, champion: VersionEntry, target: Date, horizonDays: number): Promise<Scored> {
  const loaded = await input.registry.loadTrained(champion.version);
  try {
    const rows = buildTrainingSet(input.population, [target], horizonDays, { target: input.target });
    const probs = rows.length > 0 ? predictProba(loaded.model, rows.map((r) => r.features)) : [];
    return { scoredAt: target, source: 'replay', labels: rows.map((r) => r.label), probs };
  } finally {
    disposeModel(loaded.model);
  }
}

export async function runBacktest(input: BacktestInput): Promise<BacktestOutcome> {
  const champion = input.champion;
  if (!champion) return { status: 'skipped', version: null, reason: `no previous ${input.target} champion to backtest` };
  const horizonDays = champion.horizonDays ?? input.horizonDays;
  const target = addDays(input.end, -horizonDays);
  let scored = await fromSnapshot(input, champion, target, horizonDays);
  if (!scored) {
    // The champion's holdout labels reach evalCutoff + horizon: scores before that are in-sample.
    const seenUntil = champion.evalCutoff ? addDays(new Date(champion.evalCutoff), champion.horizonDays ?? horizonDays) : undefined;
    if (!seenUntil || seenUntil.getTime() > target.getTime()) {
      return {
        status: 'skipped',
        version: champion.version,
        reason: `no score snapshot of ${champion.version} from around ${target.toISOString().slice(0, 10)}, and its own data reach ${seenUntil?.toISOString().slice(0, 10) ?? 'an unknown date'}: not enough time since it was trained`,
      };
    }
    scored = await fromReplay(input, champion, target, horizonDays);
  }
  if (scored.labels.length === 0) return { status: 'skipped', version: champion.version, reason: `no customers scored at ${scored.scoredAt.toISOString().slice(0, 10)} are in the population` };
  const m = backtestMetrics(scored.labels, scored.probs);
  const record: BacktestRecord = {
    at: input.now.toISOString(),
    scoredAt: scored.scoredAt.toISOString(),
    horizonDays,
    source: scored.source,
    n: m.n,
    positives: m.positives,
    auc: m.auc,
    topDecileLift: m.topDecileLift,
    ece: m.ece,
  };
  const flag = await recordBacktest(input.registry, champion.version, record, input.minAuc ?? DEFAULT_BACKTEST_MIN_AUC);
  return { status: 'recorded', version: champion.version, record, ...flag };
}

/** One line for the training summary. */
export function describeBacktest(target: Target, o: BacktestOutcome): string {
  if (o.status === 'skipped') return `backtest ${target}: skipped (${o.reason})`;
  const r = o.record;
  const auc = r.auc === null ? 'n/a' : r.auc.toFixed(3);
  const head = `backtest ${target} ${o.version} (${r.source}, scored ${r.scoredAt.slice(0, 10)} +${r.horizonDays} d, n ${r.n}): AUC ${auc}, top-decile lift ${r.topDecileLift.toFixed(2)}, ECE ${r.ece.toFixed(3)}`;
  return o.flagged ? `${head} - FLAGGED: ${o.reason}` : head;
}
