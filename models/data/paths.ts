/**
 * Where the shared real data lives. The data sets are never copied into the repository (licence
 * and size), so every loader resolves them here: `WINBACK_SHARED_DATA` if set, else the
 * `shared/data` folder beside the repository (`<repo root>/../shared/data`), which is the layout
 * of both developer machines and CI.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataNotFoundError } from './errors.js';
import { modelEnv, type ModelEnv } from '../config.js';

/** This file is `<repo root>/models/data/paths.ts`; the repo root is two levels up. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared data folder. `env` is a parameter so callers and tests decide what is read. */
export function sharedDataDir(env: ModelEnv = modelEnv): string {
  const fromEnv = env['WINBACK_SHARED_DATA'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return resolve(REPO_ROOT, '..', 'shared', 'data');
}

/** A file inside the shared data folder; throws `DataNotFoundError` naming the path when absent. */
export function sharedDataFile(
  relativePath: string,
  env: ModelEnv = modelEnv,
): string {
  const file = join(sharedDataDir(env), relativePath);
  if (!existsSync(file)) {
    throw new DataNotFoundError(
      `shared data file not found: ${file} (set WINBACK_SHARED_DATA to the folder holding cdnow/ and online-retail/)`,
    );
  }
  return file;
}

export const CDNOW_SAMPLE = 'cdnow/CDNOW_sample.txt';
export const ONLINE_RETAIL = 'online-retail/online_retail.csv.gz';
