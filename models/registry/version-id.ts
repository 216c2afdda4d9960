import { createHash } from 'node:crypto';
import { ModelName } from './schema.js';
import { VersionNotFoundError } from './errors.js';

/**
 * Version ids sort by time as text: `<model>-<yyyymmddThhmmssZ>-<hash6>`, e.g.
 * `churn-20261123T101500Z-3fa9c1`. The hash is of the version's files, so the same files
 * registered twice get the same id (a retried registration converges) and two different models
 * trained in the same second do not collide.
 */
export function versionId(model: ModelName, createdAt: Date, contentHash: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${model}-${stamp}-${contentHash.slice(0, 6)}`;
}

export function contentHash(parts: ReadonlyArray<Uint8Array | string>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const VERSION = /^(churn|propensity|clv|uplift)-\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** The model a version id belongs to. */
export function modelOfVersion(version: string): ModelName {
  const m = VERSION.exec(version);
  if (!m) throw new VersionNotFoundError(`'${version}' is not a version id (<model>-<yyyymmddThhmmssZ>-<hash6>)`);
  return ModelName.parse(m[1]);
}
