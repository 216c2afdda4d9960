import { ClockSpeedError } from './errors.js';

/**
 * Defaults of `winback start` (`npm start`). The demo population is `winback simulate`'s, ending
 * today, so the scores and campaigns are about "now"; 500 customers (simulate makes 2,000) keep a
 * newcomer's first `npm start -- --once` around a minute, and under 3 on a busy 2-core machine,
 * with models that still beat their baselines clearly and every campaign finding recipients.
 */
export const DEMO_CUSTOMERS = 500;
export const DEMO_DAYS = 365;
export const DEMO_SEED = 1;

/**
 * Simulated seconds per wall second of the local schedule clock: 1440 = one simulated day per
 * minute, so daily scoring runs every minute and weekly training every 7 minutes.
 */
export const DEFAULT_CLOCK_SPEED = 1440;
export const MAX_CLOCK_SPEED = 1_000_000;
export const CLOCK_SPEED_ENV = 'WINBACK_CLOCK_SPEED';

/** How often the scheduler looks at the clock; ticks that fall between two looks are coalesced. */
export const SCHEDULER_POLL_MS = 1000;

/** How far back campaign triggers look in the start-up cycle (the default of `campaigns run`). */
export const CYCLE_TRIGGER_LOOKBACK_MS = 30 * 86_400_000;

/**
 * The clock speed from the flag, else WINBACK_CLOCK_SPEED, else the default. 0 turns the
 * schedules off; otherwise at least 1 (the clock never runs slower than the wall clock, because
 * the journey time scale is its inverse and must stay within (0, 1]).
 */
export function resolveClockSpeed(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? env[CLOCK_SPEED_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CLOCK_SPEED;
  const source = flag !== undefined ? '--clock-speed' : CLOCK_SPEED_ENV;
  const speed = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(speed) || (speed !== 0 && (speed < 1 || speed > MAX_CLOCK_SPEED))) {
    throw new ClockSpeedError(`${source} must be 0 (schedules off) or a number from 1 to ${MAX_CLOCK_SPEED} (simulated seconds per second), got ${raw}`);
  }
  return speed;
}
