import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildDemoData, DEMO_DATA_USERS } from './demo-data.js';

/**
 * One folder per test run for fixtures that several test files share. When a file that uses the
 * demo data is among those to run, its build starts now, in the background, so that no worker
 * sits waiting for it later.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'winback-fixtures-'));
  project.provide('fixturesRoot', root);
  const abort = new AbortController();
  let build: Promise<unknown> = Promise.resolve();
  if (selected(project, DEMO_DATA_USERS)) {
    // A failure is written where the tests look for the data dir, and reported by them.
    build = buildDemoData(root, abort.signal).catch(() => undefined);
  }
  return async () => {
    abort.abort();
    await build;
    rmSync(root, { recursive: true, force: true });
  };
}

/** Whether any of `files` is among the files to run (no filter: all are). */
function selected(project: TestProject, files: readonly string[]): boolean {
  // The command line's file filters, as Vitest keeps them (undefined when there are none).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!filters?.length) return true;
  const root = project.config.root;
  return files.some((f) => filters.some((filter) => f.includes(filter) || resolve(root, f).startsWith(resolve(root, filter))));
}
