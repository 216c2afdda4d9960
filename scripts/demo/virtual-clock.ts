import { cronMatches, parseCron, type Cron } from '../../functions/journeys/cron.js';

/**
 * The accelerated local clock of `winback start`: virtual time runs `speed` times faster than the
 * wall clock from a start instant. Pure functions: the caller passes wall instants, so the tick
 * computation is testable without waiting.
 */
export interface VirtualClock {
  /** Wall instant (ms) at which the virtual clock read `virtualStart`. */
  readonly wallStart: number;
  readonly virtualStart: number;
  /** Virtual milliseconds per wall millisecond. */
  readonly speed: number;
}

export const virtualAt = (clock: VirtualClock, wallMs: number): number => clock.virtualStart + (wallMs - clock.wallStart) * clock.speed;

export type JobName = 'train' | 'score' | 'sweep';

/** A job's schedule on the virtual clock: a cron (UTC unless the Cron says otherwise) or a fixed rate. */
export type JobSchedule =
  | { readonly job: JobName; readonly cron: Cron; readonly label: string }
  | { readonly job: JobName; readonly everyMs: number; readonly label: string };

/**
 * The schedules of the CDK stack, on the virtual clock:
 *  - training: infra/constructs/training.ts, cron(0 2 ? * SUN *), weekly Sunday 02:00 UTC
 *  - scoring:  infra/constructs/scoring.ts, cron(0 4 * * ? *), daily 04:00 UTC
 *  - campaign trigger sweep: infra/constructs/campaigns.ts `triggerSchedule`, rate(15 minutes)
 * Listed in priority order: when several fall due at once, the first runs and the others are skipped.
 */
export const LOCAL_SCHEDULES: readonly JobSchedule[] = [
  { job: 'train', cron: parseCron('0 2 * * 0'), label: 'weekly, Sunday 02:00 UTC' },
  { job: 'score', cron: parseCron('0 4 * * *'), label: 'daily, 04:00 UTC' },
  { job: 'sweep', everyMs: 15 * 60_000, label: 'every 15 minutes (campaign triggers)' },
];

export interface DueJob {
  readonly job: JobName;
  /** The latest tick in the interval: what the job runs "at" (EventBridge's scheduled time). */
  readonly tick: Date;
  /** Ticks in the interval; more than one means ticks were coalesced. */
  readonly ticks: number;
}

const MINUTE = 60_000;
/**
 * Longest virtual span scanned for cron ticks in one step (a laptop that slept, a huge speed).
 * Older ticks would be coalesced into the latest one anyway; a week plus a day still sees a weekly tick.
 */
export const MAX_CRON_SCAN_MS = 8 * 86_400_000;

/** Ticks of one schedule in the virtual interval (fromMs, toMs]: the latest and how many. */
export function ticksBetween(schedule: JobSchedule, fromMs: number, toMs: number): { latest?: Date; count: number } {
  if (!(toMs > fromMs)) return { count: 0 };
  if ('everyMs' in schedule) {
    // Rate schedules tick on multiples of the period (epoch-aligned), so restarts keep the phase.
    const last = Math.floor(toMs / schedule.everyMs);
    const count = last - Math.floor(fromMs / schedule.everyMs);
    return count > 0 ? { latest: new Date(last * schedule.everyMs), count } : { count: 0 };
  }
  const lowest = Math.max(fromMs, toMs - MAX_CRON_SCAN_MS);
  let latest: Date | undefined;
  let count = 0;
  for (let t = Math.floor(toMs / MINUTE) * MINUTE; t > lowest; t -= MINUTE) {
    if (!cronMatches(schedule.cron, new Date(t))) continue;
    latest ??= new Date(t);
    count++;
  }
  return latest ? { latest, count } : { count: 0 };
}

/**
 * The jobs whose schedule ticks between two wall instants (wallFrom, wallTo], in the order of
 * `schedules` (priority), each with its latest virtual tick.
 */
export function dueJobs(schedules: readonly JobSchedule[], clock: VirtualClock, wallFrom: number, wallTo: number): DueJob[] {
  const from = virtualAt(clock, wallFrom);
  const to = virtualAt(clock, wallTo);
  const due: DueJob[] = [];
  for (const s of schedules) {
    const { latest, count } = ticksBetween(s, from, to);
    if (latest) due.push({ job: s.job, tick: latest, ticks: count });
  }
  return due;
}
