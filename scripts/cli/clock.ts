import { readClock, resumeAt } from '../demo/state.js';

/**
 * What "now" is for a command on a data dir. `winback start` serves on a virtual clock that runs
 * ahead of the wall clock and saves it in the data dir (clock.json); the scores and journeys it
 * wrote are stamped on that clock, and a score never replaces a newer one. So a command that
 * scores or evaluates triggers "now" takes the saved virtual clock when it is ahead.
 */
export interface DataDirNow {
  readonly at: Date;
  /** true when `at` is the saved virtual clock of `winback start`, ahead of the wall clock. */
  readonly virtual: boolean;
}

export async function dataDirNow(dataDir: string, wallNow: Date = new Date()): Promise<DataDirNow> {
  const at = resumeAt(await readClock(dataDir), wallNow);
  return { at, virtual: at.getTime() > wallNow.getTime() };
}

/** `explicit` (an --at option) when given, else the data dir's now; says so on stderr when that is the virtual clock. */
export async function commandTime(dataDir: string, explicit: Date | undefined, err: (line: string) => void): Promise<Date> {
  if (explicit) return explicit;
  const now = await dataDirNow(dataDir);
  if (now.virtual) {
    err(`time: ${now.at.toISOString()}, the virtual clock \`winback start\` saved in ${dataDir} (ahead of the wall clock; --at to choose another)`);
  }
  return now.at;
}
