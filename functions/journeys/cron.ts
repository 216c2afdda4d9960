import { CronExpressionError } from './errors.js';

/**
 * Schedule triggers: standard 5-field cron (`m h dom mon dow`, Sunday 0 or 7) or EventBridge's
 * 6-field form (`m h dom mon dow year`, `?` allowed, Sunday 1), evaluated minute by minute in UTC
 * or the campaign's IANA timezone. Numbers, `*`, `?`, ranges, steps, lists and JAN-DEC / SUN-SAT
 * names; EventBridge's L, W and # are refused with a clear error.
 */
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export interface Cron {
  readonly minute: Set<number>;
  readonly hour: Set<number>;
  readonly dayOfMonth: Set<number> | '*';
  readonly month: Set<number>;
  /** 0 = Sunday. */
  readonly dayOfWeek: Set<number> | '*';
  readonly timezone: string;
}

function field(text: string, min: number, max: number, names: string[] = [], offset = 0, what = 'field'): Set<number> | '*' {
  if (text === '*' || text === '?') return '*';
  if (/[LW#]/i.test(text)) throw new CronExpressionError(`cron ${what} "${text}": L, W and # are not supported`);
  const value = (s: string): number => {
    const i = names.indexOf(s.toUpperCase());
    const n = i >= 0 ? i + (names === MONTHS ? 1 : 0) : Number(s) - offset;
    if (!Number.isInteger(n) || n < min || n > max) throw new CronExpressionError(`cron ${what} "${text}": ${s} is out of range`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronExpressionError(`cron ${what} "${text}": bad step`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') [lo, hi] = [min, max];
    else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      [lo, hi] = [value(a!), value(b!)];
    } else {
      lo = value(range!);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

const all = (f: Set<number> | '*', min: number, max: number): Set<number> =>
  f === '*' ? new Set(Array.from({ length: max - min + 1 }, (_, i) => min + i)) : f;

export function parseCron(expression: string, timezone = 'UTC'): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new CronExpressionError(`cron "${expression}" needs 5 or 6 fields`);
  const eventBridge = parts.length === 6;
  const [m, h, dom, mon, dow] = parts as [string, string, string, string, string];
  let dayOfWeek = field(dow, 0, 7, DAYS, eventBridge ? 1 : 0, 'day of week');
  if (dayOfWeek !== '*' && dayOfWeek.has(7)) {
    dayOfWeek.delete(7);
    dayOfWeek.add(0);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new CronExpressionError(`unknown timezone "${timezone}"`);
  }
  return {
    minute: all(field(m, 0, 59, [], 0, 'minute'), 0, 59),
    hour: all(field(h, 0, 23, [], 0, 'hour'), 0, 23),
    dayOfMonth: field(dom, 1, 31, [], 0, 'day of month'),
    month: all(field(mon, 1, 12, MONTHS, 0, 'month'), 1, 12),
    dayOfWeek,
    timezone,
  };
}

function localParts(at: Date, timezone: string): { minute: number; hour: number; day: number; month: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    minute: 'numeric',
    hour: 'numeric',
    day: 'numeric',
    month: 'numeric',
    weekday: 'short',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return {
    minute: Number(get('minute')),
    hour: Number(get('hour')),
    day: Number(get('day')),
    month: Number(get('month')),
    weekday: DAYS.indexOf(get('weekday').toUpperCase()),
  };
}

export function cronMatches(cron: Cron, at: Date): boolean {
  const p = localParts(at, cron.timezone);
  if (!cron.minute.has(p.minute) || !cron.hour.has(p.hour) || !cron.month.has(p.month)) return false;
  const domOk = cron.dayOfMonth === '*' || cron.dayOfMonth.has(p.day);
  const dowOk = cron.dayOfWeek === '*' || cron.dayOfWeek.has(p.weekday);
  // Classic cron: when both are restricted, either may match.
  if (cron.dayOfMonth !== '*' && cron.dayOfWeek !== '*') return domOk || dowOk;
  return domOk && dowOk;
}

/** The latest tick in (from, to], or undefined: the minute a schedule trigger's run is named after. */
export function latestTick(cron: Cron, from: Date, to: Date): Date | undefined {
  const minute = 60_000;
  for (let t = Math.floor(to.getTime() / minute) * minute; t > from.getTime(); t -= minute) {
    if (cronMatches(cron, new Date(t))) return new Date(t);
  }
  return undefined;
}
