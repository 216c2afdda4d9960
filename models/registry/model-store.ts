import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { InvalidStoreKeyError } from './errors.js';

/**
 * Where the registry keeps its files: a flat key -> bytes store with `/`-separated keys
 * (`churn/registry.json`, `churn/<version>/weights.bin`). Two implementations behind one
 * interface, chosen by MODEL_REGISTRY_URI: a directory (local, `<dataDir>/models`) and an S3
 * prefix (AWS, functions/store/s3-model-store.ts). The registry logic never knows which one it talks to.
 */
export interface ModelStore {
  /** The URI it was opened from (for messages). */
  readonly uri: string;
  /** The object's bytes, or undefined when there is none. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Writes (replaces) an object atomically: readers see the old or the new bytes, never half. */
  write(key: string, body: Uint8Array | string): Promise<void>;
  /** Keys under a prefix (`churn/`), sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Keys are relative, `/`-separated, without `.` or `..` segments. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new InvalidStoreKeyError(`invalid registry key '${key}'`);
  }
  return key;
}

/** Files under a local directory; writes go to a temporary file renamed into place. */
export class FileModelStore implements ModelStore {
  readonly uri: string;
  constructor(readonly dir: string) {
    this.uri = `file://${dir}`;
  }

  private path(key: string): string {
    return join(this.dir, ...checkKey(key).split('/'));
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(key: string, body: Uint8Array | string): Promise<void> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.dir, full).split(sep).join('/'));
      }
    };
    await walk(this.dir);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }
}
