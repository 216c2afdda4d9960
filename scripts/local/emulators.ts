import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { closeDynaliteIterators } from './dynalite-iterators.js';
import { lockDataDir } from './data-dir-lock.js';
import { journalQueueTraffic, replayJournal } from './durable-queue.js';
import { emulatorRefusal, guardEmulatorServer } from './loopback-guard.js';
import { SqsJournal } from './sqs-journal.js';
import { buildApp } from 'fauxqs';
import sesLocal from 'aws-ses-v2-local';
import {
  BillingMode,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ProjectionType,
  ResourceInUseException,
  ResourceNotFoundException,
  ScalarAttributeType,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DLQ_RETENTION_DAYS,
  MAX_RECEIVE_COUNT,
  QUEUES,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS,
  TABLE,
} from '../../kernel/settings.js';
import { EmulatorStartError, TableSchemaMismatchError } from './errors.js';

/**
 * The emulators behind the local stack, all in this process and on loopback ports the OS picks:
 * dynalite (DynamoDB, LevelDB on disk), fauxqs (SQS and SNS in memory, made durable by a journal
 * on disk: durable-queue.ts) and aws-ses-v2-local (SES v2 with an inbox page, in memory only).
 * Resources are created here from kernel/settings.ts, exactly as the CDK stack declares them, so
 * the handlers meet the same table and queues. Each refuses requests from web pages
 * (loopback-guard.ts), and one process at a time opens a data dir (data-dir-lock.ts).
 */

export const LOCAL_REGION = 'us-east-1';
/** fauxqs builds every ARN and queue URL with this account. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** The emulators accept any credentials; fixed dummy ones keep real AWS credentials out of reach. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const TABLE_NAME = 'winback';
const LOOPBACK = '127.0.0.1';

export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface QueuePair {
  readonly queue: QueueRef;
  readonly dlq: QueueRef;
}

export interface StackQueues {
  readonly events: QueueRef;
  readonly eventsDlq: QueueRef;
  readonly emailEvents: QueueRef;
  readonly emailEventsDlq: QueueRef;
}

export interface EmulatorEndpoints {
  /** DynamoDB endpoint (dynalite). */
  readonly dynamodb: string;
  /** SQS and SNS endpoint (fauxqs), for clients configured with an explicit `endpoint`. */
  readonly sqs: string;
  /** SES v2 endpoint (aws-ses-v2-local); its `/` is the inbox page. */
  readonly ses: string;
}

export interface Emulators {
  readonly endpoints: EmulatorEndpoints;
  readonly tableName: string;
  readonly queues: StackQueues;
  readonly inboxUrl: string;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  readonly dataDir: string;
  /** Tests shorten it (e.g. 1 s) to see redelivery and redrive in seconds instead of minutes. */
  readonly visibilityTimeoutSeconds?: number;
  /** Start-up notes: waiting for a stopping stack, messages replayed from the queue journal. */
  readonly log?: (line: string) => void;
}

export async function startEmulators(opts: StartEmulatorsOptions): Promise<Emulators> {
  const log = opts.log ?? (() => undefined);
  const lock = await lockDataDir(opts.dataDir, { log });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Every emulator is closed even if another fails to; the data dir is let go only after all.
    const results = await Promise.allSettled(stops.splice(0).reverse().map((stop) => stop()));
    await lock.release();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new EmulatorStartError('an emulator failed to stop', { cause: failed.reason });
  };
  try {
    const dynamodb = await startDynalite(path.join(opts.dataDir, 'dynamodb'));
    stops.push(dynamodb.stop);
    const sqs = await startFauxqs(opts.dataDir);
    stops.push(sqs.stop);
    const ses = await startSes();
    stops.push(ses.stop);

    const endpoints: EmulatorEndpoints = { dynamodb: dynamodb.url, sqs: sqs.url, ses: ses.url };
    const ddbClient = new DynamoDBClient(localClientConfig(endpoints.dynamodb));
    const sqsClient = new SQSClient(localClientConfig(endpoints.sqs));
    try {
      await ensureTable(ddbClient, TABLE_NAME);
      const visibility = opts.visibilityTimeoutSeconds ?? QUEUE_VISIBILITY_TIMEOUT_SECONDS;
      const events = await ensureQueuePair(sqsClient, {
        name: QUEUES.events,
        dlqName: QUEUES.eventsDlq,
        visibilityTimeoutSeconds: visibility,
      });
      const emailEvents = await ensureQueuePair(sqsClient, {
        name: QUEUES.emailEvents,
        dlqName: QUEUES.emailEventsDlq,
        visibilityTimeoutSeconds: visibility,
      });
      await sqs.replay(log);
      return {
        endpoints,
        tableName: TABLE_NAME,
        queues: {
          events: events.queue,
          eventsDlq: events.dlq,
          emailEvents: emailEvents.queue,
          emailEventsDlq: emailEvents.dlq,
        },
        inboxUrl: `${endpoints.ses}/`,
        stop: stopAll,
      };
    } finally {
      ddbClient.destroy();
      sqsClient.destroy();
    }
  } catch (err) {
    // The start-up error is the one to report; a failure to stop as well is logged, not lost.
    await stopAll().catch((stopErr: unknown) => log(`emulators: stopping after a failed start failed too (${errorName(stopErr)})`));
    throw err;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** Client settings for talking to an emulator directly (explicit endpoint, dummy credentials). */
export function localClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: typeof LOCAL_CREDENTIALS;
} {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}

interface RunningEmulator {
  readonly url: string;
  stop(): Promise<void>;
}

async function startDynalite(dir: string): Promise<RunningEmulator> {
  await mkdir(dir, { recursive: true });
  // Zero delays: tables are ACTIVE at once, as a test or a first `winback up` expects.
  closeDynaliteIterators();
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  guardEmulatorServer(server, 'sdk', LOCAL_CREDENTIALS.accessKeyId);
  const port = await listen(server, 'dynalite');
  return {
    url: `http://${LOOPBACK}:${port}`,
    // dynalite's close also waits for pending LevelDB writes and closes the database, which is
    // what makes the data on disk complete for the next start.
    stop: () => closeServer(server),
  };
}

interface RunningQueues extends RunningEmulator {
  /** Queues again what the journal holds from the previous run; call once the queues exist. */
  replay(log: (line: string) => void): Promise<number>;
}

async function startFauxqs(dataDir: string): Promise<RunningQueues> {
  // buildApp rather than startFauxqs(): the latter listens on 0.0.0.0, and a dev stack has no
  // business being reachable from the network. fauxqs keeps messages in memory; the journal
  // hooks make an accepted message durable before SendMessage answers.
  const journal = await SqsJournal.open(dataDir);
  const app = buildApp({ logger: false, host: 'localhost', defaultRegion: LOCAL_REGION });
  app.addHook('onRequest', async (request, reply) => {
    const refusal = emulatorRefusal(request.raw, 'sdk', LOCAL_CREDENTIALS.accessKeyId);
    if (refusal) return reply.code(403).header('connection', 'close').send({ message: `Forbidden: ${refusal}` });
  });
  journalQueueTraffic(app, journal);
  let address: string;
  try {
    address = await app.listen({ port: 0, host: LOOPBACK });
  } catch (err) {
    await journal.close();
    throw new EmulatorStartError('fauxqs (SQS) failed to start', { cause: err });
  }
  return {
    url: address.replace(/\/$/, ''),
    replay: (log) => replayJournal(app, journal, { log, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, region: LOCAL_REGION }),
    stop: async () => {
      try {
        await app.close();
      } finally {
        await journal.close();
      }
    },
  };
}

async function startSes(): Promise<RunningEmulator> {
  let server: Server;
  try {
    server = await sesServerFactory()({ host: LOOPBACK, port: 0 });
  } catch (err) {
    throw new EmulatorStartError('aws-ses-v2-local (SES) failed to start', { cause: err });
  }
  guardEmulatorServer(server, 'inbox', LOCAL_CREDENTIALS.accessKeyId);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    stop: async () => {
      // The inbox page keeps connections open; close them so stop() does not hang on a browser tab.
      const closed = closeServer(server);
      server.closeAllConnections();
      await closed;
    },
  };
}

type SesServerFactory = (config: { host: string; port: number }) => Promise<Server>;

/**
 * aws-ses-v2-local is CommonJS with `exports.default`: Node's ESM loader hands us the module
 * object (the function is its `.default`), while Vite's interop (vitest) hands us the function.
 */
function sesServerFactory(): SesServerFactory {
  const imported = sesLocal as unknown as SesServerFactory | { default: SesServerFactory };
  return typeof imported === 'function' ? imported : imported.default;
}

function listen(server: Server, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new EmulatorStartError(`${name} failed to start`, { cause: err }));
    server.once('error', onError);
    server.listen(0, LOOPBACK, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** A secondary index of the table: its key, every attribute projected (as in the EventStore construct). */
function index(name: string, partitionKey: string, sortKey: string) {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: ProjectionType.ALL },
  };
}

/** The table of the CDK EventStore construct, from the same settings. Idempotent. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const existing = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (existing.Table) assertTableSchema(existing.Table);
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const S = ScalarAttributeType.S;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions: [
          { AttributeName: TABLE.partitionKey, AttributeType: S },
          { AttributeName: TABLE.sortKey, AttributeType: S },
          { AttributeName: TABLE.byTimeSortKey, AttributeType: S },
          { AttributeName: TABLE.gsi1PartitionKey, AttributeType: S },
          { AttributeName: TABLE.gsi1SortKey, AttributeType: S },
        ],
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [index(TABLE.byTimeIndex, TABLE.partitionKey, TABLE.byTimeSortKey)],
        GlobalSecondaryIndexes: [index(TABLE.gsi1, TABLE.gsi1PartitionKey, TABLE.gsi1SortKey)],
      }),
    );
  } catch (err) {
    // Another process created it between our describe and create: same outcome.
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // dynalite ignores TTL (UpdateTimeToLive is not implemented), so the TTL attribute is not set here.
}

function assertTableSchema(table: TableDescription): void {
  const keys = (table.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const lsis = (table.LocalSecondaryIndexes ?? []).map((i) => i.IndexName).sort();
  const gsis = (table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort();
  const ok =
    keys === `${TABLE.partitionKey}:HASH,${TABLE.sortKey}:RANGE` &&
    lsis.includes(TABLE.byTimeIndex) &&
    gsis.includes(TABLE.gsi1);
  if (!ok) {
    throw new TableSchemaMismatchError(
      `table ${table.TableName} on disk has keys [${keys}], LSIs [${lsis.join(',')}], GSIs [${gsis.join(',')}]; ` +
        `expected the schema of kernel/settings.ts. Delete the data dir's dynamodb folder to recreate it.`,
    );
  }
}

export interface QueuePairOptions {
  readonly name: string;
  readonly dlqName: string;
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
}

/**
 * A queue with its dead-letter queue and redrive policy, as the CDK stack declares them.
 * CreateQueue is idempotent for identical attributes, so this is safe to call on every start.
 * Exported for tests and later issues that need another consumer queue.
 */
export async function ensureQueuePair(client: SQSClient, opts: QueuePairOptions): Promise<QueuePair> {
  const dlq = await ensureQueue(client, opts.dlqName, {
    MessageRetentionPeriod: String(DLQ_RETENTION_DAYS * 24 * 60 * 60),
  });
  const queue = await ensureQueue(client, opts.name, {
    VisibilityTimeout: String(opts.visibilityTimeoutSeconds ?? QUEUE_VISIBILITY_TIMEOUT_SECONDS),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: opts.maxReceiveCount ?? MAX_RECEIVE_COUNT,
    }),
  });
  return { queue, dlq };
}

async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<QueueRef> {
  const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl;
  if (!url) throw new EmulatorStartError(`CreateQueue ${name} returned no QueueUrl`);
  const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new EmulatorStartError(`queue ${name} has no QueueArn`);
  return { name, url, arn };
}
