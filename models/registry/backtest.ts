import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RegistryFormatError, VersionNotFoundError } from './errors.js';
import type { ModelStore } from './model-store.js';
import type { ModelRegistry } from './registry.js';
import { BacktestRecord, type RegistryIndex } from './schema.js';
import { modelOfVersion } from './version-id.js';

/**
 * The registry's side of the live backtest: per-run score snapshots and the backtest records
 * kept on each version.
 *
 *   snapshots/<scoredAt>/<part>.json   what one part (shard / segment) of a scoring run said:
 *                                      customer id hash -> [P(churn), P(purchase)], and the
 *                                      versions that scored it (schema ScoreSnapshot)
 *
 * The table keeps only each customer's current score, so the scores of one horizon ago live
 * here. Customers are keyed by a hash of their id, not the id: a snapshot is read by hashing
 * the ids of the training population, which already leaves erased customers (tombstones) out.
 */

export const SNAPSHOT_PREFIX = 'snapshots/';

export const ScoreSnapshot = z.object({
  schemaVersion: z.literal(1),
  scoredAt: z.string(),
  part: z.number().int().nonnegative(),
  models: z.object({ churn: z.string(), propensity: z.string() }),
  /** customer id hash -> [churn probability, purchase probability] */
  scores: z.record(z.string(), z.tuple([z.number(), z.number()])),
});
export type ScoreSnapshot = z.infer<typeof ScoreSnapshot>;

export const customerHash = (customerId: string): string => createHash('sha256').update(customerId).digest('hex').slice(0, 20);

const snapshotKey = (scoredAt: string, part: number): string => `${SNAPSHOT_PREFIX}${scoredAt.replace(/:/g, '')}/${String(part).padStart(3, '0')}.json`;

/** Idempotent: a retried part rewrites its own file. */
export async function writeScoreSnapshot(
  store: ModelStore,
  input: { scoredAt: string; part: number; models: { churn: string; propensity: string }; scores: ReadonlyArray<{ customerId: string; churnProbability: number; purchasePropensity: number }> },
): Promise<void> {
  const scores: Record<string, [number, number]> = {};
  for (const s of input.scores) scores[customerHash(s.customerId)] = [round(s.churnProbability), round(s.purchasePropensity)];
  const body: ScoreSnapshot = { schemaVersion: 1, scoredAt: input.scoredAt, part: input.part, models: { ...input.models }, scores };
  await store.write(snapshotKey(input.scoredAt, input.part), JSON.stringify(body));
}

const round = (p: number): number => Math.round(p * 1e5) / 1e5;

/**
 * Erasure: removes the customers (by id) from every score snapshot and rewrites only the files
 * that held one of them. Returns the number of files rewritten. The hash is recomputed from the
 * id, so the rows go even though the files never name the id.
 */
export async function removeFromScoreSnapshots(store: ModelStore, customerIds: readonly string[]): Promise<number> {
  const hashes = new Set(customerIds.map(customerHash));
  let rewritten = 0;
  for (const key of await store.list(SNAPSHOT_PREFIX)) {
    const [snapshot] = await readScoreSnapshots(store, [key]);
    if (!snapshot || !Object.keys(snapshot.scores).some((h) => hashes.has(h))) continue;
    const scores = Object.fromEntries(Object.entries(snapshot.scores).filter(([h]) => !hashes.has(h)));
    await store.write(key, JSON.stringify({ ...snapshot, scores }));
    rewritten++;
  }
  return rewritten;
}

/** Scoring runs with a snapshot: their scoredAt (ISO, as the file says) and file keys, oldest first. */
export async function listSnapshotRuns(store: ModelStore): Promise<Array<{ scoredAt: string; keys: string[] }>> {
  const keys = await store.list(SNAPSHOT_PREFIX);
  const byDir = new Map<string, string[]>();
  for (const k of keys) {
    const dir = k.slice(SNAPSHOT_PREFIX.length).split('/')[0];
    if (dir) byDir.set(dir, [...(byDir.get(dir) ?? []), k]);
  }
  return [...byDir.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([dir, ks]) => ({ scoredAt: dir.replace(/T(\d\d)(\d\d)(\d\d)/, 'T$1:$2:$3'), keys: ks }));
}

export async function readScoreSnapshots(store: ModelStore, keys: readonly string[]): Promise<ScoreSnapshot[]> {
  const out: ScoreSnapshot[] = [];
  for (const key of keys) {
    const bytes = await store.read(key);
    if (!bytes) continue;
    const parsed = ScoreSnapshot.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) throw new RegistryFormatError(`${key} in ${store.uri}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    out.push(parsed.data);
  }
  return out;
}

/**
 * Keeps a backtest on its version and (re)computes the flag from it: flagged when the realised
 * AUC is below `minAuc`. A record with the same scoredAt replaces the earlier one, so a retried
 * training run does not pile up copies.
 */
export async function recordBacktest(registry: ModelRegistry, version: string, record: BacktestRecord, minAuc: number): Promise<{ flagged: boolean; reason?: string }> {
  const model = modelOfVersion(version);
  const index: RegistryIndex = await registry.readIndex(model);
  const entry = index.versions.find((v) => v.version === version);
  if (!entry) throw new VersionNotFoundError(`${version} is not registered in ${registry.store.uri}`);
  const checked = BacktestRecord.parse(record);
  const backtests = [...(entry.backtests ?? []).filter((b) => b.scoredAt !== checked.scoredAt), checked].sort((a, b) => (a.scoredAt < b.scoredAt ? -1 : 1));
  const flagged = checked.auc !== null && checked.auc < minAuc;
  const reason = flagged
    ? `realised AUC ${checked.auc!.toFixed(3)} < ${minAuc} on ${checked.n} customers scored ${checked.scoredAt.slice(0, 10)} (+${checked.horizonDays} d)`
    : undefined;
  const { flagged: _f, flagReason: _r, ...rest } = entry;
  const next = { ...rest, backtests, ...(flagged ? { flagged: true, flagReason: reason } : {}) };
  await registry.writeIndex({ ...index, versions: index.versions.map((v) => (v.version === version ? next : v)) });
  return flagged ? { flagged, reason: reason! } : { flagged };
}
