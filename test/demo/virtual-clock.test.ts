import { describe, expect, it } from 'vitest';
import { parseCron } from '../../functions/journeys/cron.js';
import { LocalScheduler } from '../../scripts/demo/scheduler.js';
import { resolveClockSpeed } from '../../scripts/demo/settings.js';
import { resumeAt } from '../../scripts/demo/state.js';
import { lookbackMs } from '../../scripts/demo/sweep.js';
import { dueJobs, LOCAL_SCHEDULES, ticksBetween, virtualAt, type JobName, type VirtualClock } from '../../scripts/demo/virtual-clock.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';

// Saturday 2026-01-03 00:00 UTC; at x1440 one wall minute is one virtual day.
const SATURDAY = Date.parse('2026-01-03T00:00:00Z');
const clock: VirtualClock = { wallStart: 0, virtualStart: SATURDAY, speed: 1440 };
const at = (iso: string): Date => new Date(iso);

describe('virtual clock ticks', () => {
  it('maps wall instants to virtual ones at the clock speed', () => {
    // Prepare
    const oneMinute = 60_000;
    // Act
    const v = virtualAt(clock, oneMinute);
    // Assess
    expect(new Date(v).toISOString()).toBe('2026-01-04T00:00:00.000Z');
  });

  it('fires daily scoring and the 15-minute sweep over the first wall minute, not Sunday training', () => {
    // Prepare: wall (0, 60 s] = virtual (Sat 00:00, Sun 00:00]
    // Act
    const due = dueJobs(LOCAL_SCHEDULES, clock, 0, 60_000);
    // Assess
    expect(due).toEqual([
      { job: 'score', tick: at('2026-01-03T04:00:00Z'), ticks: 1 },
      { job: 'sweep', tick: at('2026-01-04T00:00:00Z'), ticks: 96 },
    ]);
  });

  it('fires training on Sunday 02:00 UTC, in priority order with scoring and the sweep', () => {
    // Prepare: wall (60 s, 90 s] = virtual (Sun 00:00, Sun 12:00]
    // Act
    const due = dueJobs(LOCAL_SCHEDULES, clock, 60_000, 90_000);
    // Assess
    expect(due.map((d) => [d.job, d.tick.toISOString(), d.ticks])).toEqual([
      ['train', '2026-01-04T02:00:00.000Z', 1],
      ['score', '2026-01-04T04:00:00.000Z', 1],
      ['sweep', '2026-01-04T12:00:00.000Z', 48],
    ]);
  });

  it('counts a tick at the end of the interval and not one at its start', () => {
    // Prepare
    const score = LOCAL_SCHEDULES.find((s) => s.job === 'score')!;
    const four = Date.parse('2026-01-03T04:00:00Z');
    // Act
    const endsOnTick = ticksBetween(score, four - 60_000, four);
    const startsOnTick = ticksBetween(score, four, four + 60_000);
    const empty = ticksBetween(score, four, four);
    // Assess
    expect(endsOnTick).toEqual({ latest: new Date(four), count: 1 });
    expect(startsOnTick).toEqual({ count: 0 });
    expect(empty).toEqual({ count: 0 });
  });

  it('at speed 1 behaves as the wall clock: one scoring tick when the wall passes 04:00', () => {
    // Prepare
    const real: VirtualClock = { wallStart: 0, virtualStart: Date.parse('2026-01-05T03:59:30Z'), speed: 1 };
    // Act
    const due = dueJobs(LOCAL_SCHEDULES, real, 0, 60_000);
    // Assess
    expect(due.map((d) => d.job)).toEqual(['score', 'sweep']);
    expect(due[0]!.tick.toISOString()).toBe('2026-01-05T04:00:00.000Z');
  });

  it('coalesces a long gap (a laptop that slept) into the latest tick, scanning a bounded span', () => {
    // Prepare: 30 virtual days in one step
    const train = LOCAL_SCHEDULES.find((s) => s.job === 'train')!;
    const from = SATURDAY;
    const to = SATURDAY + 30 * 86_400_000;
    // Act
    const r = ticksBetween(train, from, to);
    // Assess: Sundays Jan 4, 11, 18, 25, Feb 1; only the last 8 days (from Jan 25 00:00) are scanned
    expect(r.latest?.toISOString()).toBe('2026-02-01T02:00:00.000Z');
    // the count of 2 (not 5) shows the scan was bounded; time is not asserted (shared machines drift)
    expect(r.count).toBe(2);
  });

  it('honours a cron timezone through functions/journeys/cron.ts', () => {
    // Prepare: 10:00 in New York is 15:00 UTC in January
    const ny = { job: 'score' as JobName, cron: parseCron('0 10 * * *', 'America/New_York'), label: 'ny' };
    // Act
    const r = ticksBetween(ny, SATURDAY, SATURDAY + 86_400_000);
    // Assess
    expect(r.latest?.toISOString()).toBe('2026-01-03T15:00:00.000Z');
  });
});

describe('clock settings and state', () => {
  it('reads the speed from the flag, else WINBACK_CLOCK_SPEED, else 1440; 0 turns schedules off', () => {
    // Act / Assess
    expect(resolveClockSpeed(undefined, {})).toBe(1440);
    expect(resolveClockSpeed(undefined, { WINBACK_CLOCK_SPEED: '60' })).toBe(60);
    expect(resolveClockSpeed('0', { WINBACK_CLOCK_SPEED: '60' })).toBe(0);
    expect(() => resolveClockSpeed('0.5', {})).toThrow(/--clock-speed must be 0/);
    expect(() => resolveClockSpeed(undefined, { WINBACK_CLOCK_SPEED: 'fast' })).toThrow(/WINBACK_CLOCK_SPEED/);
  });

  it('resumes where the clock stopped, never behind the wall clock', () => {
    // Prepare
    const wall = new Date('2026-01-10T00:00:00Z');
    const saved = (virtualNow: string) => ({ version: 1 as const, virtualNow, savedAt: '2026-01-01T00:00:00Z', speed: 1440 });
    // Act / Assess
    expect(resumeAt(undefined, wall)).toEqual(wall);
    expect(resumeAt(saved('2026-03-01T00:00:00Z'), wall).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(resumeAt(saved('2025-12-01T00:00:00Z'), wall)).toEqual(wall);
  });

  it('sweeps look back to the previous sweep: virtual time for scores, wall time for events', () => {
    // Prepare
    const window = { virtualSince: new Date('2026-02-01T00:00:00Z'), wallSince: new Date('2026-01-10T00:00:00Z') };
    const now = new Date('2026-02-01T06:00:00Z');
    const margin = 3 * 3_600_000;
    const score = { trigger: { type: 'score' } } as CampaignDefinition;
    const event = { trigger: { type: 'event' } } as CampaignDefinition;
    // Act
    const forScore = lookbackMs(score, now, window, margin);
    const forEvent = lookbackMs(event, now, window, margin);
    // Assess
    expect(forScore).toBe(9 * 3_600_000);
    expect(forEvent).toBe(now.getTime() - window.wallSince.getTime() + margin);
  });
});

describe('local scheduler', () => {
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

  it('never overlaps jobs: skips ticks that come while a job runs, defers a higher-priority one', async () => {
    // Prepare
    let wall = 0;
    const runs: string[] = [];
    const finish = new Map<string, () => void>();
    const lines: string[] = [];
    const scheduler = new LocalScheduler({
      clock,
      schedules: LOCAL_SCHEDULES,
      pollMs: 1000,
      now: () => wall,
      log: (l) => lines.push(l),
      run: (job, tick) => {
        runs.push(`${job}@${tick.toISOString()}`);
        return new Promise((resolve) => finish.set(job, () => resolve(job === 'sweep' ? undefined : 'ok')));
      },
    });
    // Act
    wall = 60_000; // Sat 04:00 scoring and 96 sweep ticks are due: scoring runs, the sweep is skipped
    const first = scheduler.poll();
    wall = 61_000; // a sweep tick while scoring runs: skipped
    scheduler.poll();
    wall = 65_000; // Sunday 02:00 training while scoring runs: deferred
    scheduler.poll();
    finish.get('score')!();
    await settle();
    const afterScore = scheduler.busy;
    wall = 70_000; // Sunday 04:00 scoring while training runs: skipped
    scheduler.poll();
    finish.get('train')!();
    await settle();
    wall = 71_000; // idle again: the next sweep tick runs
    const next = scheduler.poll();
    finish.get('sweep')!();
    await settle();
    // Assess
    expect(first?.job).toBe('score');
    expect(afterScore).toBe('train');
    expect(next?.job).toBe('sweep');
    expect(runs).toEqual(['score@2026-01-03T04:00:00.000Z', 'train@2026-01-04T02:00:00.000Z', 'sweep@2026-01-04T04:15:00.000Z']);
    expect(lines).toContain('[clock 2026-01-04 02:00] train tick deferred until score ends');
    expect(lines).toContain('[clock 2026-01-04 04:00] score tick skipped: train is running');
    expect(lines.find((l) => l.startsWith('[clock 2026-01-03 04:00] score done'))).toMatch(/skipped meanwhile: \d+ sweep ticks/);
    await scheduler.stop();
  });
});
