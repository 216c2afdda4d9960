import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalConfig, readEndpointsFile } from '../local/data-dir.js';
import { isHealthy } from '../local/stack.js';
import { NotADataDirError, ResetRefusedError } from './errors.js';

/**
 * `winback reset`: empties a data dir so the next `winback start` loads the demo population
 * again. Guards, because it deletes recursively:
 *  - the directory must be a winback data dir: its config.json parses as the one the local stack
 *    writes (a typo'd --data-dir pointing at a project folder is refused, not emptied);
 *  - no stack may be serving it (endpoints.json answering /healthz): dynalite holds its files open.
 * config.json is kept, so the write key (in SDK snippets, curl examples) and the unsubscribe
 * secret survive; everything else goes: DynamoDB tables, the model registry, the demo marker,
 * the virtual clock, previews.
 */
export interface ResetResult {
  readonly dataDir: string;
  /** Entries removed (names in the data dir). */
  readonly removed: string[];
  /** false when there was no data dir at all. */
  readonly existed: boolean;
}

export const KEPT_FILES: ReadonlySet<string> = new Set(['config.json']);

/** Throws NotADataDirError unless `dir` holds a config.json the local stack wrote. */
export async function assertDataDir(dir: string): Promise<void> {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotADataDirError(`${dir} is not a winback data dir (no config.json); nothing deleted`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NotADataDirError(`${dir} is not a winback data dir (config.json is not JSON); nothing deleted`);
  }
  if (!LocalConfig.safeParse(parsed).success) {
    throw new NotADataDirError(`${dir} is not a winback data dir (its config.json is not winback's); nothing deleted`);
  }
}

/** Throws ResetRefusedError while a healthy stack serves `dir`. */
export async function assertNoStackRunning(dir: string): Promise<void> {
  const endpoints = await readEndpointsFile(dir);
  if (endpoints && (await isHealthy(endpoints.apiUrl))) {
    throw new ResetRefusedError(`a local stack is running on ${dir} (pid ${endpoints.pid}, ${endpoints.apiUrl}); stop it first (Ctrl-C), then reset`);
  }
}

/** Checks both guards, then deletes every entry of `dir` except config.json. */
export async function resetDataDir(dir: string): Promise<ResetResult> {
  const dataDir = path.resolve(dir);
  try {
    if (!(await stat(dataDir)).isDirectory()) throw new NotADataDirError(`${dataDir} is not a directory; nothing deleted`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dataDir, removed: [], existed: false };
    throw err;
  }
  await assertDataDir(dataDir);
  await assertNoStackRunning(dataDir);
  const removed: string[] = [];
  for (const name of (await readdir(dataDir)).sort()) {
    if (KEPT_FILES.has(name)) continue;
    await rm(path.join(dataDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return { dataDir, removed, existed: true };
}
