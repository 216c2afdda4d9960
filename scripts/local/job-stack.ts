import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resetJobObjects } from '../../functions/store/job-objects.js';
import { startEmulators, type Emulators } from './emulators.js';
import { applyStackEnvironment } from './environment.js';
import { LOCAL_JOB_BUCKET } from './distributed-jobs.js';

/**
 * The emulators and the environment the distributed jobs' handlers read, for tests and the
 * scale benchmark: dynalite (with fauxqs and SES, as the stack starts them), the model registry
 * and the job bucket as directories of the data dir.
 */
export interface JobStack {
  readonly emulators: Emulators;
  readonly tableName: string;
  readonly bucketDir: string;
  readonly registryUri: string;
  /** The variables a worker process needs to reach the same stack. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startJobStack(dataDir: string): Promise<JobStack> {
  const emulators = await startEmulators({ dataDir });
  applyStackEnvironment({
    endpoints: emulators.endpoints,
    tableName: emulators.tableName,
    queueUrls: { events: emulators.queues.events.url, eventsDlq: emulators.queues.eventsDlq.url, emailEvents: emulators.queues.emailEvents.url },
    writeKeys: {},
  });
  const bucketDir = join(dataDir, 'buckets', LOCAL_JOB_BUCKET);
  const registryDir = join(dataDir, 'models');
  await mkdir(bucketDir, { recursive: true });
  await mkdir(registryDir, { recursive: true });
  const env: Record<string, string> = {
    JOB_BUCKET: LOCAL_JOB_BUCKET,
    JOB_BUCKET_DIR: bucketDir,
    MODEL_REGISTRY_URI: `file://${registryDir}`,
  };
  Object.assign(process.env, env);
  resetJobObjects();
  const inherited = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_DYNAMODB', 'TABLE_NAME'];
  for (const k of inherited) env[k] = process.env[k] ?? '';
  return { emulators, tableName: emulators.tableName, bucketDir, registryUri: env['MODEL_REGISTRY_URI']!, env, stop: () => emulators.stop() };
}
