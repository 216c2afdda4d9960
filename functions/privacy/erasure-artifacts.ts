import { removeFromScoreSnapshots } from '../../models/registry/backtest.js';
import type { ModelStore } from '../../models/registry/model-store.js';
import { getConfig, liveSettings } from '../commons/config.js';
import { openRegistry } from '../jobs/model-registry.js';
import { jobObjects, type JobObjects } from '../store/job-objects.js';

/**
 * What an erasure must reach besides the table: the files the jobs write about customers.
 *  - score snapshots (`snapshots/` of the model registry, the live backtest's input): a row per
 *    customer under a hash of the id; the erased customers' rows are removed;
 *  - the job bucket (`jobs/`): feature shards hold a row per customer (its id and aggregates),
 *    from which the erased customers' rows are removed; manifests and Map results name customer
 *    ids as segment bounds, and an object of those that names an erased id is deleted (each is
 *    read once, by the run that wrote it, and expires after 14 days anyway).
 * Model versions hold coefficients, no customer rows, and are not touched.
 */
export interface ArtifactStores {
  readonly registry?: ModelStore;
  readonly jobs: readonly JobObjects[];
}

export interface ArtifactErasure {
  readonly snapshotsRewritten: number;
  readonly shardsRewritten: number;
  readonly jobObjectsDeleted: number;
}

/** In AWS: the registry in S3 (MODEL_REGISTRY_URI) and the job bucket (JOB_BUCKET), when configured. */
async function deployedStores(): Promise<ArtifactStores> {
  const uri = getConfig().MODEL_REGISTRY_URI;
  const registry = uri.startsWith('s3://') ? (await openRegistry(uri)).store : undefined;
  const jobs = liveSettings().JOB_BUCKET ? [await jobObjects()] : [];
  return { ...(registry ? { registry } : {}), jobs };
}

let storesOf: () => Promise<ArtifactStores> = deployedStores;

/** The local stack names its own directories (<dataDir>/models, <dataDir>/buckets/*). Returns the function that restores the default. */
export function useArtifactStores(stores: () => Promise<ArtifactStores>): () => void {
  storesOf = stores;
  return () => {
    storesOf = deployedStores;
  };
}

export async function eraseFromArtifacts(customerIds: readonly string[]): Promise<ArtifactErasure> {
  if (customerIds.length === 0) return { snapshotsRewritten: 0, shardsRewritten: 0, jobObjectsDeleted: 0 };
  const stores = await storesOf();
  const snapshotsRewritten = stores.registry ? await removeFromScoreSnapshots(stores.registry, customerIds) : 0;
  let shardsRewritten = 0;
  let jobObjectsDeleted = 0;
  for (const objects of stores.jobs) {
    const r = await eraseFromJobObjects(objects, customerIds);
    shardsRewritten += r.shardsRewritten;
    jobObjectsDeleted += r.jobObjectsDeleted;
  }
  return { snapshotsRewritten, shardsRewritten, jobObjectsDeleted };
}

interface ShardLike {
  strata?: Record<string, number>;
  customers: Array<{ customerId?: unknown; stratum?: unknown }>;
}

const isShard = (value: unknown): value is ShardLike =>
  typeof value === 'object' && value !== null && Array.isArray((value as ShardLike).customers) && (value as ShardLike).customers.every((c) => typeof c === 'object' && c !== null && 'customerId' in c);

export async function eraseFromJobObjects(objects: JobObjects, customerIds: readonly string[]): Promise<{ shardsRewritten: number; jobObjectsDeleted: number }> {
  const ids = new Set(customerIds);
  // An id appears in a JSON object as a JSON string: matching the quoted form avoids prefixes (u1 in u10).
  const quoted = [...ids].map((id) => JSON.stringify(id));
  let shardsRewritten = 0;
  let jobObjectsDeleted = 0;
  for (const key of await objects.list('jobs/')) {
    const text = await objects.get(key);
    if (!quoted.some((q) => text.includes(q))) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isShard(parsed)) {
      const strata = { ...(parsed.strata ?? {}) };
      const customers = parsed.customers.filter((c) => {
        if (!ids.has(String(c.customerId))) return true;
        const stratum = String(c.stratum);
        if (strata[stratum] !== undefined) strata[stratum] = Math.max(0, strata[stratum] - 1);
        return false;
      });
      // Still named elsewhere in the object (not as a row): it goes whole, like a manifest.
      const rewritten = JSON.stringify({ ...parsed, ...(parsed.strata ? { strata } : {}), customers });
      if (!quoted.some((q) => rewritten.includes(q))) {
        await objects.put(key, rewritten);
        shardsRewritten++;
        continue;
      }
    }
    await objects.delete(key);
    jobObjectsDeleted++;
  }
  return { shardsRewritten, jobObjectsDeleted };
}
