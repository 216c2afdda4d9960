import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { dynamoClient, resetClients } from '../../functions/commons/clients.js';
import { resetConfig } from '../../functions/commons/config.js';
import { resetJobObjects } from '../../functions/store/job-objects.js';
import { closeDynaliteIterators } from './dynalite-iterators.js';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION, TABLE_NAME } from './emulators.js';
import { guardEmulatorServer } from './loopback-guard.js';
import { LOCAL_JOB_BUCKET } from './distributed-jobs.js';

/**
 * What the distributed jobs' handlers need, for tests and the scale benchmark: a dynalite with
 * winback's table (in memory: the jobs read and write nothing else, and a population of 100,000
 * customers loads several times faster than into LevelDB on disk), the model registry and the
 * job bucket as directories of the data dir, and the environment pointing this process (and,
 * through `env`, worker processes) at them.
 */
export interface JobStack {
  readonly tableName: string;
  readonly bucketDir: string;
  readonly registryUri: string;
  /** The variables a worker process needs to reach the same stack. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * `endpoint`: a DynamoDB endpoint already running (the scale benchmark runs dynalite in a process
 * of its own); without it, an in-memory dynalite in this process, closed by stop().
 */
export async function startJobStack(dataDir: string, options: { endpoint?: string } = {}): Promise<JobStack> {
  let server: Server | undefined;
  if (!options.endpoint) {
    closeDynaliteIterators();
    const started = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
    guardEmulatorServer(started, 'sdk', LOCAL_CREDENTIALS.accessKeyId);
    await new Promise<void>((ok, fail) => {
      started.once('error', fail);
      started.listen(0, '127.0.0.1', () => ok());
    });
    server = started;
  }
  const endpoint = options.endpoint ?? `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;

  const bucketDir = join(dataDir, 'buckets', LOCAL_JOB_BUCKET);
  const registryDir = join(dataDir, 'models');
  await mkdir(bucketDir, { recursive: true });
  await mkdir(registryDir, { recursive: true });
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    TABLE_NAME,
    JOB_BUCKET: LOCAL_JOB_BUCKET,
    JOB_BUCKET_DIR: bucketDir,
    MODEL_REGISTRY_URI: `file://${registryDir}`,
  };
  Object.assign(process.env, env);
  delete process.env['AWS_SESSION_TOKEN'];
  resetConfig();
  resetClients();
  resetJobObjects();
  // The process's own client (the store's), pointed at the new endpoint by the environment above.
  await ensureTable(dynamoClient() as unknown as Parameters<typeof ensureTable>[0], TABLE_NAME);
  return {
    tableName: TABLE_NAME,
    bucketDir,
    registryUri: env['MODEL_REGISTRY_URI']!,
    env,
    stop: () =>
      new Promise<void>((ok) => {
        if (!server) return ok();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
