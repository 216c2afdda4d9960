import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { WinbackError } from '../../kernel/errors.js';
import { liveSettings, type LiveSettings } from '../commons/config.js';

/**
 * The job bucket: where the distributed jobs keep their manifests (the items a Step Functions
 * Distributed Map reads with ItemReader), their per-segment outputs (feature shards) and the
 * Map's ResultWriter output. In AWS it is an S3 bucket (JOB_BUCKET, the model registry's bucket
 * under the `jobs/` prefix). Locally there is no S3 emulator in the stack: JOB_BUCKET_DIR names a
 * directory standing in for the bucket, `<dir>/<key>`, which the local Step Functions runner
 * (scripts/local/distributed-map.ts) reads as it would the bucket.
 */
export class JobBucketConfigError extends WinbackError {}

export interface JobObjects {
  readonly bucket: string;
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
  /** Keys below a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes an object (erasure); a missing one is fine. */
  delete(key: string): Promise<void>;
}

export interface JobObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

const checked = (key: string): string => {
  if (!key || key.startsWith('/') || key.split('/').includes('..')) throw new JobBucketConfigError(`invalid object key: ${key}`);
  return key;
};

/** A directory standing in for the bucket (local stack, tests, benchmarks). */
export class DirectoryJobObjects implements JobObjects {
  constructor(
    readonly bucket: string,
    private readonly dir: string,
  ) {}

  async put(key: string, body: string): Promise<void> {
    const path = join(this.dir, checked(key));
    await mkdir(dirname(path), { recursive: true });
    // Written aside then renamed: a reader sees the whole object or none, as with S3 PUT.
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  get(key: string): Promise<string> {
    return readFile(join(this.dir, checked(key)), 'utf8');
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.dir, checked(key)), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const base = join(this.dir, checked(prefix));
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
      .map((e) => relative(this.dir, join(e.parentPath, e.name)).split(sep).join('/'))
      .sort();
  }
}

let opened: Promise<JobObjects> | undefined;

/** The job bucket of this process, from JOB_BUCKET (and JOB_BUCKET_DIR locally). */
export function jobObjects(): Promise<JobObjects> {
  return (opened ??= openJobObjects(liveSettings()));
}

/** Forget the opened bucket (tests and the benchmark change the environment between runs). */
export function resetJobObjects(): void {
  opened = undefined;
}

async function openJobObjects(settings: LiveSettings): Promise<JobObjects> {
  const bucket = settings.JOB_BUCKET;
  if (!bucket) throw new JobBucketConfigError('JOB_BUCKET is not set: the distributed jobs need a bucket for their manifests');
  const dir = settings.JOB_BUCKET_DIR;
  if (dir) return new DirectoryJobObjects(bucket, dir);
  // Dynamic: keeps @aws-sdk/client-s3 out of local runs.
  const { S3JobObjects } = await import('./s3-job-objects.js');
  return new S3JobObjects(bucket);
}
