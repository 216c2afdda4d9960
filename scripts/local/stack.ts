import { mkdir } from 'node:fs/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resetClients } from '../../functions/commons/clients.js';
import {
  loadOrCreateLocalConfig,
  primaryWriteKey,
  readEndpointsFile,
  removeEndpointsFile,
  resolveDataDir,
  resolvePort,
  writeEndpointsFile,
  type EndpointsFile,
} from './data-dir.js';
import { localClientConfig, startEmulators, type EmulatorEndpoints, type Emulators, type StackQueues } from './emulators.js';
import { applyPublicEnvironment, applyStackEnvironment } from './environment.js';
import { ensureLocalSnsSigning } from './sns-signing.js';
import { isHealthy, locateRunningStack, type LocateOptions } from './running-stack.js';

export { isHealthy } from './running-stack.js';
import { DrainTimeoutError, StackAlreadyRunningError, StackInProcessError, StackNotRunningError } from './errors.js';
import { LocalRuntime, queueDepth, type DrainOptions } from './runtime.js';
import { ingestCors } from './cors.js';
import { errorName, sleep } from './sqs-event-source.js';
import { installLocalErasure, prepareLocalErasure } from './erasure-route.js';
import { startRetentionSweeper } from './retention-sweeper.js';

/**
 * The embedded local stack: emulators + runtime + the real handlers, started with one call.
 * One stack per process: the handlers read process-wide environment (config, SDK endpoints).
 */

export interface LocalStackOptions {
  /** Default `.winback/` or WINBACK_DATA_DIR. */
  readonly dataDir?: string;
  /** HTTP port; default 4000 or WINBACK_PORT; 0 picks a free port. */
  readonly port?: number;
  /** Queue visibility timeout; tests use 1 s to see redelivery quickly. Default from kernel/settings.ts. */
  readonly visibilityTimeoutSeconds?: number;
  /** No runtime log lines (handler failures, partial batches). */
  readonly quiet?: boolean;
  readonly log?: (line: string) => void;
  readonly pollersPerQueue?: number;
}

/** What CLI commands need from a stack, embedded or running in another process. */
export interface StackHandle {
  readonly dataDir: string;
  readonly apiUrl: string;
  readonly inboxUrl: string;
  readonly writeKey: string;
  readonly tableName: string;
  /** Emulator endpoints, for clients built with an explicit `endpoint`. */
  readonly endpoints: EmulatorEndpoints;
  readonly queues: { readonly [K in keyof StackQueues]: { readonly name: string; readonly url: string } };
  /** true when this process started the stack (withStack stops it afterwards). */
  readonly embedded: boolean;
  /** Resolves when the consumed queues are empty and nothing is being processed. */
  drain(opts?: DrainOptions): Promise<void>;
}

export interface LocalStack extends StackHandle {
  readonly embedded: true;
  readonly writeKeys: Readonly<Record<string, string>>;
  readonly queues: StackQueues;
  readonly runtime: LocalRuntime;
  /** Drains (best effort, default up to 10 s), stops pollers, HTTP server and emulators. Idempotent. */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
}

export const FUNCTION_NAMES = {
  ingestHttp: 'winback-ingest-http',
  processEvents: 'winback-process-events',
  processEmailEvents: 'winback-process-email-events',
  unsubscribeHttp: 'winback-unsubscribe-http',
} as const;

let current: LocalStack | undefined;

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  if (current) throw new StackInProcessError(`this process already runs a local stack (${current.apiUrl})`);
  const dataDir = resolveDataDir(opts.dataDir);
  const port = resolvePort(opts.port);
  const log = opts.quiet ? () => undefined : (opts.log ?? ((line: string) => console.error(`[winback] ${line}`)));
  await mkdir(dataDir, { recursive: true });

  const previous = await readEndpointsFile(dataDir);
  if (previous && previous.pid !== process.pid && (await isHealthy(previous.apiUrl, 2_000))) {
    throw new StackAlreadyRunningError(dataDir, previous.apiUrl, previous.pid);
  }
  const config = await loadOrCreateLocalConfig(dataDir);
  const writeKey = primaryWriteKey(config);

  prepareLocalErasure();
  const emulators = await startEmulators({
    dataDir,
    log,
    ...(opts.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds } : {}),
  });
  let runtime: LocalRuntime | undefined;
  try {
    applyStackEnvironment({
      endpoints: emulators.endpoints,
      tableName: emulators.tableName,
      queueUrls: { events: emulators.queues.events.url, eventsDlq: emulators.queues.eventsDlq.url, emailEvents: emulators.queues.emailEvents.url },
      writeKeys: config.writeKeys,
      snsSigning: await ensureLocalSnsSigning(dataDir),
    });
    // Imported after the environment is set, as Lambda loads a handler after its configuration.
    const [ingest, processEvents, processEmailEvents, unsubscribe] = await Promise.all([
      import('../../functions/ingest-http.js'),
      import('../../functions/process-events.js'),
      import('../../functions/process-email-events.js'),
      import('../../functions/unsubscribe-http.js'),
    ]);
    runtime = new LocalRuntime({
      sqsEndpoint: emulators.endpoints.sqs,
      log,
      ...(opts.pollersPerQueue !== undefined ? { pollersPerQueue: opts.pollersPerQueue } : {}),
    });
    // Pages that load analytics.js post from their own origin: CORS as the CDK stack configures it.
    runtime.setDefaultRoute(ingest.handler, { functionName: FUNCTION_NAMES.ingestHttp, cors: ingestCors() });
    // One-click unsubscribe and the preference page: public, like the routes in the CDK stack.
    runtime.addRoute('*', '/unsubscribe', unsubscribe.handler, { functionName: FUNCTION_NAMES.unsubscribeHttp });
    runtime.addRoute('*', '/preferences', unsubscribe.handler, { functionName: FUNCTION_NAMES.unsubscribeHttp });
    // Erasure and export (admin key), and the scrubbing of local files after any erasure.
    installLocalErasure(runtime, dataDir);
    runtime.addQueueConsumer({
      queue: emulators.queues.events,
      handler: processEvents.handler,
      functionName: FUNCTION_NAMES.processEvents,
    });
    runtime.addQueueConsumer({
      queue: emulators.queues.emailEvents,
      handler: processEmailEvents.handler,
      functionName: FUNCTION_NAMES.processEmailEvents,
    });
    const apiUrl = await runtime.listen(port);
    applyPublicEnvironment({ apiUrl, writeKey, unsubscribeSecret: config.unsubscribeSecret ?? '' });
    const stack = createStack({ dataDir, apiUrl, writeKey, writeKeys: config.writeKeys, emulators, runtime, log });
    await writeEndpointsFile(dataDir, toEndpointsFile(stack));
    current = stack;
    return stack;
  } catch (err) {
    // The start-up error is the one thrown; failures to clean up after it are logged, not lost.
    await runtime?.stop({ drainTimeoutMs: 0 }).catch((e: unknown) => log(`start failed; stopping the runtime failed too (${errorName(e)})`));
    resetClients();
    await emulators.stop().catch((e: unknown) => log(`start failed; stopping the emulators failed too (${errorName(e)})`));
    throw err;
  }
}

function createStack(parts: {
  dataDir: string;
  apiUrl: string;
  writeKey: string;
  writeKeys: Readonly<Record<string, string>>;
  emulators: Emulators;
  runtime: LocalRuntime;
  log: (line: string) => void;
}): LocalStack {
  const { emulators, runtime } = parts;
  // DynamoDB's TTL, which dynalite lacks (opt-in: WINBACK_RETENTION_SWEEP_MINUTES).
  const sweeper = startRetentionSweeper(emulators.tableName, { log: parts.log });
  let stopping: Promise<void> | undefined;
  const stack: LocalStack = {
    dataDir: parts.dataDir,
    apiUrl: parts.apiUrl,
    inboxUrl: emulators.inboxUrl,
    writeKey: parts.writeKey,
    writeKeys: parts.writeKeys,
    tableName: emulators.tableName,
    endpoints: emulators.endpoints,
    queues: emulators.queues,
    embedded: true,
    runtime,
    drain: (opts) => runtime.drain(opts),
    stop: (opts = {}) => {
      stopping ??= (async () => {
        try {
          await sweeper.stop();
          await runtime.stop(opts);
        } finally {
          // The handlers' SDK clients hold keep-alive sockets to the emulators: close them first.
          resetClients();
          await emulators.stop();
          await removeEndpointsFile(parts.dataDir);
          if (current === stack) current = undefined;
        }
      })();
      return stopping;
    },
  };
  return stack;
}

function toEndpointsFile(stack: LocalStack): EndpointsFile {
  return {
    apiUrl: stack.apiUrl,
    inboxUrl: stack.inboxUrl,
    writeKey: stack.writeKey,
    dynamodb: stack.endpoints.dynamodb,
    sqs: stack.endpoints.sqs,
    ses: stack.endpoints.ses,
    tableName: stack.tableName,
    queues: {
      events: stack.queues.events.url,
      eventsDlq: stack.queues.eventsDlq.url,
      emailEvents: stack.queues.emailEvents.url,
      emailEventsDlq: stack.queues.emailEventsDlq.url,
    },
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
}

/**
 * Attaches this process to a stack another process runs (`winback up`): reads
 * <dataDir>/endpoints.json, checks /healthz and sets the same environment, so domain code and
 * SDK clients in this process use that stack's DynamoDB, SQS and SES.
 */
export async function connectToRunningStack(dataDir?: string, opts: LocateOptions = {}): Promise<StackHandle> {
  const dir = resolveDataDir(dataDir);
  // Waits (with retries) for a stack that holds the data dir, however busy; throws
  // StackNotRespondingError past the deadline, never StackNotRunningError while the dir is held.
  const file = await locateRunningStack(dir, opts);
  if (!file) throw new StackNotRunningError(`no local stack is running on ${dir}`);
  const config = await loadOrCreateLocalConfig(dir);
  applyStackEnvironment({
    endpoints: { dynamodb: file.dynamodb, ses: file.ses },
    tableName: file.tableName,
    queueUrls: { events: file.queues.events, eventsDlq: file.queues.eventsDlq, emailEvents: file.queues.emailEvents },
    writeKeys: config.writeKeys,
    snsSigning: await ensureLocalSnsSigning(dir),
  });
  applyPublicEnvironment({ apiUrl: file.apiUrl, writeKey: file.writeKey, unsubscribeSecret: config.unsubscribeSecret ?? '' });
  const queues = {
    events: { name: queueName(file.queues.events), url: file.queues.events },
    eventsDlq: { name: queueName(file.queues.eventsDlq), url: file.queues.eventsDlq },
    emailEvents: { name: queueName(file.queues.emailEvents), url: file.queues.emailEvents },
    emailEventsDlq: { name: queueName(file.queues.emailEventsDlq), url: file.queues.emailEventsDlq },
  };
  return {
    dataDir: dir,
    apiUrl: file.apiUrl,
    inboxUrl: file.inboxUrl,
    writeKey: file.writeKey,
    tableName: file.tableName,
    endpoints: { dynamodb: file.dynamodb, sqs: file.sqs, ses: file.ses },
    queues,
    embedded: false,
    // The other process's pollers are out of reach, but a message stays in flight until its batch
    // is deleted, so empty queues (twice in a row) mean processed.
    drain: (opts) => drainRemote(file.sqs, [queues.events.url, queues.emailEvents.url], opts),
  };
}

/**
 * Runs `fn` against the stack running on `dataDir` if there is a healthy one, else against an
 * embedded stack (random port, quiet) that is drained and stopped when `fn` settles.
 */
export async function withStack<T>(
  dataDir: string | undefined,
  fn: (stack: StackHandle) => Promise<T>,
  opts: Omit<LocalStackOptions, 'dataDir'> = {},
): Promise<T> {
  const dir = resolveDataDir(dataDir);
  let running: StackHandle | undefined;
  try {
    running = await connectToRunningStack(dir, { log: (line) => console.error(`[winback] ${line}`) });
  } catch (err) {
    if (!(err instanceof StackNotRunningError)) throw err;
  }
  if (running) return fn(running);
  const stack = await startLocalStack({ port: 0, quiet: true, ...opts, dataDir: dir });
  try {
    const result = await fn(stack);
    await stack.drain({ timeoutMs: 60_000 });
    return result;
  } finally {
    await stack.stop();
  }
}

async function drainRemote(sqsEndpoint: string, queueUrls: string[], opts: DrainOptions = {}): Promise<void> {
  const sqs = new SQSClient(localClientConfig(sqsEndpoint));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  try {
    let idleStreak = 0;
    for (;;) {
      const depths = await Promise.all(queueUrls.map((url) => queueDepth(sqs, url)));
      const messages = depths.reduce((a, b) => a + b, 0);
      idleStreak = messages === 0 ? idleStreak + 1 : 0;
      if (idleStreak >= 2) return;
      if (Date.now() >= deadline) {
        throw new DrainTimeoutError(timeoutMs, { messages, inFlightBatches: 0, inFlightRequests: 0 });
      }
      await sleep(opts.pollIntervalMs ?? 50);
    }
  } finally {
    sqs.destroy();
  }
}

function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
