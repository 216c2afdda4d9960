import { readEndpointsFile, type EndpointsFile } from './data-dir.js';
import { liveLockOwner } from './data-dir-lock.js';
import { StackNotRespondingError } from './errors.js';

/**
 * Finds the stack another process runs on a data dir, so that a CLI command uses it instead of
 * opening the same LevelDB a second time. The data-dir lock says whether one runs (a live pid
 * holds it), endpoints.json where it answers. A stack busy training or scoring can leave its
 * event loop blocked for seconds, so /healthz gets a long timeout and retries: as long as a live
 * process holds the lock, this waits for it, and past the deadline it fails with one line. It
 * never reports "not running" while the lock is held: that would start a second stack on the dir.
 */
export interface LocateOptions {
  /** Total wait for a stack that holds the lock to answer; default WINBACK_STACK_WAIT_SECONDS or 120 s. */
  readonly waitMs?: number;
  /** Timeout of one /healthz request (default 10 s). */
  readonly attemptTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

const POLL_MS = 250;
const ANNOUNCE_AFTER_MS = 2_000;

export async function isHealthy(apiUrl: string, timeoutMs = 10_000): Promise<boolean> {
  try {
    const res = await fetch(new URL('/healthz', apiUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { ok?: unknown };
    return body.ok === true;
  } catch {
    return false;
  }
}

function defaultWaitMs(): number {
  const seconds = Number(process.env['WINBACK_STACK_WAIT_SECONDS']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 120_000;
}

/** The running stack's endpoints; undefined when no live process holds the data dir. */
export async function locateRunningStack(dataDir: string, opts: LocateOptions = {}): Promise<EndpointsFile | undefined> {
  const waitMs = opts.waitMs ?? defaultWaitMs();
  const attemptMs = opts.attemptTimeoutMs ?? 10_000;
  const started = Date.now();
  let announced = false;
  for (;;) {
    const owner = await liveLockOwner(dataDir);
    if (owner === undefined) return undefined;
    const file = await readEndpointsFile(dataDir);
    // endpoints.json of an earlier run, or not written yet: the owner is still starting.
    const current = file !== undefined && file.pid === owner ? file : undefined;
    const remaining = waitMs - (Date.now() - started);
    if (current && (await isHealthy(current.apiUrl, Math.max(1, Math.min(attemptMs, remaining))))) return current;
    if (Date.now() - started >= waitMs) throw new StackNotRespondingError(dataDir, owner, current?.apiUrl, Date.now() - started);
    if (!announced && Date.now() - started >= ANNOUNCE_AFTER_MS) {
      opts.log?.(`waiting for the stack running on ${dataDir} (process ${owner}) to answer`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
