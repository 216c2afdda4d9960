import { cpSync } from 'node:fs';
import { inject } from 'vitest';
import { demoDataDir } from './demo-data.js';

/** The folder for fixtures built once per run, from the global setup (test/helpers/global-setup.ts). */
function fixturesRoot(): string {
  const root = inject('fixturesRoot');
  if (!root) throw new Error('no fixturesRoot: vitest.config.ts must list test/helpers/global-setup.ts as globalSetup');
  return root;
}

/** Copies the shared demo data dir (demo-data.ts) into `dataDir`, before a stack starts on it. */
export async function copyDemoData(dataDir: string): Promise<void> {
  cpSync(await demoDataDir(fixturesRoot()), dataDir, { recursive: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder for fixtures built once per test run (removed at the end of the run). */
    fixturesRoot: string;
  }
}
