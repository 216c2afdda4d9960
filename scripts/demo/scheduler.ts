import { performance } from 'node:perf_hooks';
import { dueJobs, virtualAt, type DueJob, type JobName, type JobSchedule, type VirtualClock } from './virtual-clock.js';

/**
 * Runs the CDK stack's schedules (training, scoring, the trigger sweep) on the virtual clock.
 * One job at a time, so that jobs never race on one laptop's two cores. Jobs have a priority
 * (the order of the schedules: training, scoring, the sweep). A tick that falls due while a job
 * of the same or a higher priority runs is skipped and logged; when several fall due at once the
 * first runs and the others are skipped. Skipped sweep ticks lose nothing (the next sweep looks
 * back to the previous one); a skipped scoring or training tick waits for the next one.
 * The exception: a tick of a higher-priority job that falls due while a lower one runs is
 * deferred (logged) until that job ends. At the default speed the sweep is due every 0.6 s and
 * runs almost back to back, so skipping would starve scoring and training for good.
 */
export type JobRunner = (job: JobName, tick: Date) => Promise<string | undefined>;

export interface SchedulerOptions {
  readonly clock: VirtualClock;
  readonly schedules: readonly JobSchedule[];
  readonly run: JobRunner;
  readonly log: (line: string) => void;
  readonly pollMs: number;
  /** Wall clock (tests pass their own). */
  readonly now?: () => number;
  /** Called after every poll with the virtual instant reached (the caller persists it). */
  readonly onAdvance?: (virtualNow: Date) => void;
}

/** Jobs whose skipped ticks are counted and reported when the running job ends, not line by line. */
const CHATTY: ReadonlySet<JobName> = new Set(['sweep']);

export const virtualStamp = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');

export class LocalScheduler {
  private readonly now: () => number;
  private lastPoll: number;
  private timer: NodeJS.Timeout | undefined;
  private running: { job: JobName; tick: Date; done: Promise<void> } | undefined;
  private deferred: DueJob | undefined;
  private skippedQuietly = new Map<JobName, number>();
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.lastPoll = this.now();
  }

  get virtualNow(): Date {
    return new Date(virtualAt(this.opts.clock, this.now()));
  }

  /** The job running now, if any. */
  get busy(): JobName | undefined {
    return this.running?.job;
  }

  start(): void {
    this.timer ??= setInterval(() => this.poll(), this.opts.pollMs);
  }

  /** Stops ticking; resolves when the running job (if any) ends or after `waitMs`. */
  async stop(waitMs = 0): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    this.deferred = undefined;
    const running = this.running;
    if (!running || waitMs <= 0) return;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([running.done, new Promise<void>((resolve) => (timeout = setTimeout(resolve, waitMs)))]);
    clearTimeout(timeout);
  }

  /**
   * One look at the clock: the jobs due since the previous look. Returns the job started, if any
   * (tests call it directly with their own clock).
   */
  poll(): DueJob | undefined {
    const wall = this.now();
    const due = dueJobs(this.opts.schedules, this.opts.clock, this.lastPoll, wall);
    this.lastPoll = wall;
    this.opts.onAdvance?.(new Date(virtualAt(this.opts.clock, wall)));
    if (due.length === 0) return undefined;
    if (this.running) {
      const running = this.running.job;
      for (const d of due) {
        if (this.priority(d.job) < this.priority(running) && (!this.deferred || this.priority(d.job) <= this.priority(this.deferred.job))) {
          if (this.deferred && this.deferred.job !== d.job) this.skip(this.deferred, d.job);
          const coalesced = this.deferred?.job === d.job ? this.deferred.ticks : 0;
          this.deferred = { ...d, ticks: d.ticks + coalesced };
          this.opts.log(`[clock ${virtualStamp(d.tick)}] ${d.job} tick deferred until ${running} ends`);
        } else this.skip(d, running);
      }
      return undefined;
    }
    const [first, ...rest] = due;
    for (const d of rest) this.skip(d, first!.job);
    this.launch(first!);
    return first;
  }

  private priority(job: JobName): number {
    return this.opts.schedules.findIndex((s) => s.job === job);
  }

  private skip(d: DueJob, blocker: JobName): void {
    if (CHATTY.has(d.job)) {
      this.skippedQuietly.set(d.job, (this.skippedQuietly.get(d.job) ?? 0) + d.ticks);
      return;
    }
    this.opts.log(`[clock ${virtualStamp(d.tick)}] ${d.job} tick skipped: ${blocker} is running`);
  }

  private launch(d: DueJob): void {
    const t0 = performance.now();
    const chatty = CHATTY.has(d.job);
    if (!chatty) this.opts.log(`[clock ${virtualStamp(d.tick)}] ${d.job} started${d.ticks > 1 ? ` (${d.ticks} ticks coalesced)` : ''}`);
    const done = this.opts
      .run(d.job, d.tick)
      .then(
        (detail) => {
          if (!chatty || detail) this.opts.log(`[clock ${virtualStamp(d.tick)}] ${d.job} done in ${((performance.now() - t0) / 1000).toFixed(1)} s${detail ? `: ${detail}` : ''}${this.drainSkipped()}`);
        },
        (err: unknown) => {
          this.opts.log(`[clock ${virtualStamp(d.tick)}] ${d.job} failed: ${err instanceof Error ? err.message : String(err)}${this.drainSkipped()}`);
        },
      )
      .finally(() => {
        if (this.running?.done !== done) return;
        this.running = undefined;
        const next = this.deferred;
        this.deferred = undefined;
        if (next && !this.stopped) this.launch(next);
      });
    this.running = { job: d.job, tick: d.tick, done };
  }

  private drainSkipped(): string {
    const parts = [...this.skippedQuietly].map(([job, n]) => `${n} ${job} tick${n > 1 ? 's' : ''}`);
    this.skippedQuietly.clear();
    return parts.length ? `; skipped meanwhile: ${parts.join(', ')}` : '';
  }
}
