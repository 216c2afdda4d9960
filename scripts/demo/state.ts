import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * What `winback start` keeps in the data dir besides the stack's own files:
 *  - demo.json   the marker: written once the demo population is loaded (or the data dir was
 *                found already filled), so later starts skip loading
 *  - demo-loading.json  while the population loads: its parameters, so that a load cut short
 *                (Ctrl-C) is resumed with the same population, not taken for the user's data
 *  - clock.json  where the virtual clock stands, so a restart resumes it: scores written at
 *                virtual times must never be followed by a scoring run at an earlier time
 *                (the store keeps the newer score and skips the customer)
 */

export const MARKER_FILE = 'demo.json';
export const LOADING_FILE = 'demo-loading.json';
export const CLOCK_FILE = 'clock.json';

const Counts = z.record(z.string(), z.number());

export const DemoMarker = z.object({
  version: z.literal(1),
  loadedAt: z.string(),
  /** 'simulated': the demo population; 'existing': the store already had customers, nothing loaded. */
  source: z.enum(['simulated', 'existing']),
  customers: z.number().int().nonnegative(),
  days: z.number().int().optional(),
  seed: z.number().int().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
  events: z.object({ total: z.number(), byKind: Counts }).optional(),
  seconds: z.number().optional(),
  /** When a first cycle (train, score, campaigns) completed; a start finding none runs one. */
  cycledAt: z.string().optional(),
});
export type DemoMarker = z.infer<typeof DemoMarker>;

export const ClockState = z.object({
  version: z.literal(1),
  /** The virtual instant reached (ISO). */
  virtualNow: z.string(),
  /** The wall instant it was saved (ISO), for the curious. */
  savedAt: z.string(),
  speed: z.number(),
});
export type ClockState = z.infer<typeof ClockState>;

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A half-written or hand-edited file counts as absent: the worst case is a reload, which is idempotent.
    return undefined;
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
}

export const readMarker = (dataDir: string): Promise<DemoMarker | undefined> => readJson(path.join(dataDir, MARKER_FILE), DemoMarker);
export const writeMarker = (dataDir: string, marker: DemoMarker): Promise<void> => writeJsonAtomic(path.join(dataDir, MARKER_FILE), marker);

export const LoadingMarker = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  customers: z.number().int().positive(),
  days: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  /** First day of the period (YYYY-MM-DD): fixed, so a resumed load stores the very same events. */
  start: z.string(),
});
export type LoadingMarker = z.infer<typeof LoadingMarker>;

export const readLoading = (dataDir: string): Promise<LoadingMarker | undefined> => readJson(path.join(dataDir, LOADING_FILE), LoadingMarker);
export const writeLoading = (dataDir: string, marker: LoadingMarker): Promise<void> => writeJsonAtomic(path.join(dataDir, LOADING_FILE), marker);
export const clearLoading = (dataDir: string): Promise<void> => rm(path.join(dataDir, LOADING_FILE), { force: true });

export const readClock = (dataDir: string): Promise<ClockState | undefined> => readJson(path.join(dataDir, CLOCK_FILE), ClockState);
export const writeClock = (dataDir: string, virtualNow: Date, speed: number, wallNow: Date = new Date()): Promise<void> =>
  writeJsonAtomic(path.join(dataDir, CLOCK_FILE), { version: 1, virtualNow: virtualNow.toISOString(), savedAt: wallNow.toISOString(), speed } satisfies ClockState);

/** Where the virtual clock resumes: where it stopped, but never behind the wall clock. */
export function resumeAt(saved: ClockState | undefined, wallNow: Date): Date {
  const stopped = saved ? Date.parse(saved.virtualNow) : NaN;
  return new Date(Number.isFinite(stopped) ? Math.max(stopped, wallNow.getTime()) : wallNow.getTime());
}
