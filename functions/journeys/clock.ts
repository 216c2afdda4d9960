/**
 * The journey clock. In AWS it is the wall clock (scale 1). Locally and in tests, waits are
 * scaled down by JOURNEY_TIME_SCALE, and so is the passage of journey time: a journey that
 * started at S sees `S + (real - S) / scale`. A 3-day wait at scale 0.001 takes 259 real
 * seconds and lands 3 journey days later, so quiet hours, reminders and attribution windows keep
 * their meaning. Pure functions: the caller passes the real time.
 */
export function journeyNow(startedAt: string, realNow: Date, scale: number): Date {
  const start = Date.parse(startedAt);
  return new Date(start + (realNow.getTime() - start) / scale);
}

/** The real instant at which the journey clock reaches `target` (never before `realNow`). */
export function realWakeAt(target: Date, journeyTime: Date, realNow: Date, scale: number): Date {
  const journeyDelayMs = Math.max(0, target.getTime() - journeyTime.getTime());
  return new Date(realNow.getTime() + journeyDelayMs * scale);
}

/** ISO-8601 durations of campaign files (`P3D`, `PT1H`, `P1DT12H`) and shorthand (`3d`, `1h`, `30m`, `45s`). */
export function durationSeconds(value: string | number): number {
  if (typeof value === 'number') return value;
  const short = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (short) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[short[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return Number(short[1]) * unit;
  }
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (iso && value.trim() !== 'P' && !value.trim().endsWith('T')) {
    const [, w, d, h, m, s] = iso;
    return Number(w ?? 0) * 604_800 + Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  }
  throw new RangeError(`not a duration: ${JSON.stringify(value)} (use e.g. P3D, PT1H, 3d, 1h)`);
}
