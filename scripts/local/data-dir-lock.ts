import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DataDirInUseError } from './errors.js';

/**
 * One process at a time opens a data dir's LevelDB and queue journal. Without this, a stack
 * started while the previous one is still stopping (draining its queues) found LevelDB locked,
 * and dynalite turned the failed open into an uncaught `Database is closed` on the first request.
 * The lock is a file holding the owner's pid: a file whose process is gone (`kill -9`) is stale
 * and taken over; a live owner is waited for, then reported.
 */

export interface DataDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a live owner to let go (a graceful stop drains for up to 10 s). */
  readonly waitMs?: number;
  readonly log?: (line: string) => void;
}

const POLL_MS = 100;
/** Locks this process holds: its own pid in a lock file is stale unless listed here. */
const heldHere = new Set<string>();

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'stack.lock');
}

export async function lockDataDir(dataDir: string, opts: LockOptions = {}): Promise<DataDirLock> {
  const file = lockPath(dataDir);
  const waitMs = opts.waitMs ?? 20_000;
  const started = Date.now();
  let announced = false;
  for (;;) {
    if (await tryCreate(file)) {
      heldHere.add(file);
      return { release: () => release(file) };
    }
    const owner = await readOwner(file);
    if (owner === undefined || !isRunning(owner, file)) {
      // Stale (its process is gone) or being written right now: a half-written file is retried once.
      if (owner !== undefined || Date.now() - started > POLL_MS * 5) await rm(file, { force: true });
      else await sleep(POLL_MS);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new DataDirInUseError(dataDir, owner, waited);
    if (!announced) {
      opts.log?.(`waiting for process ${owner} to release ${dataDir} (a stack still stopping?)`);
      announced = true;
    }
    await sleep(POLL_MS);
  }
}

/** The pid of the live process holding the data dir (this one included), or undefined when none does. */
export async function liveLockOwner(dataDir: string): Promise<number | undefined> {
  const file = lockPath(dataDir);
  const owner = await readOwner(file);
  return owner !== undefined && isRunning(owner, file) ? owner : undefined;
}

async function tryCreate(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(`${process.pid}\n`, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isRunning(pid: number, file: string): boolean {
  // Our own pid is live, but a lock this process does not hold is left over from an earlier run.
  if (pid === process.pid) return heldHere.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function release(file: string): Promise<void> {
  if (!heldHere.delete(file)) return;
  const owner = await readOwner(file);
  if (owner === process.pid) await rm(file, { force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
