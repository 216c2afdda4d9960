import { sweepExpiredItems } from '../../functions/store/retention.js';

/**
 * The local stand-in for DynamoDB's TTL: with WINBACK_RETENTION_SWEEP_MINUTES=N, a sweep at start
 * and then every N minutes deletes expired events (EVENT_RETENTION_DAYS after their own time) and
 * coupons. Off by default: the demo and the public data sets (CDNOW 1997-98, Online Retail 2010-11)
 * are historical, so their events expired long ago by the wall clock and a sweep would empty the
 * demo. DynamoDB's own TTL deletes within a few days of expiry; this one within the interval.
 */
export const RETENTION_SWEEP_ENV = 'WINBACK_RETENTION_SWEEP_MINUTES';

export interface RetentionSweeper {
  /** Stops the timer and waits for a sweep under way (the stack stops its emulators afterwards). */
  stop(): Promise<void>;
}

export function sweepIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[RETENTION_SWEEP_ENV];
  const minutes = raw === undefined || raw.trim() === '' ? 0 : Number(raw);
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 0;
}

export function startRetentionSweeper(table: string, opts: { log: (line: string) => void; intervalMs?: number; now?: () => Date }): RetentionSweeper {
  const interval = opts.intervalMs ?? sweepIntervalMs();
  const now = opts.now ?? (() => new Date());
  let running: Promise<void> | undefined;
  let stopped = false;
  const sweep = (): void => {
    if (stopped || running) return;
    running = sweepExpiredItems(table, now())
      .then((n) => {
        if (n > 0) opts.log(`retention: ${n} expired items deleted`);
      })
      .catch((err: unknown) => opts.log(`retention sweep failed (${err instanceof Error ? err.name : typeof err}); next in ${interval / 60_000} min`))
      .finally(() => {
        running = undefined;
      });
  };
  if (interval === 0) return { stop: async () => undefined };
  sweep();
  const timer = setInterval(sweep, interval);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
