import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FileModelStore } from '../../models/registry/model-store.js';
import { ModelRegistry } from '../../models/registry/registry.js';

/** Temporary folders for one test file, all removed after it. Call at the top of the file. */
export function useTempDirs(): (prefix?: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix = 'winback-test-') => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** One temporary folder for this test file, created now, removed after the file. */
export function useTempDir(prefix?: string): string {
  return useTempDirs()(prefix);
}

/** Empty model registries on disk for one test file, each in its own folder, removed after it. */
export function useTempRegistries(): () => ModelRegistry {
  const tempDir = useTempDirs();
  return () => new ModelRegistry(new FileModelStore(tempDir('winback-registry-')));
}
