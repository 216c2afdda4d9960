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
