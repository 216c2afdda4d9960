import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LocalConfigError } from './errors.js';

/**
 * What the local stack keeps in its data dir (default `.winback/`):
 *  - config.json     the local write keys, generated once so curl examples and SDK snippets keep working
 *  - endpoints.json  while a stack runs: where its API, inbox and emulators listen, for CLI commands
 *  - dynamodb/       dynalite's LevelDB files
 *  - sqs/            the local queues' journal (messages accepted and not yet processed)
 *  - stack.lock      while a stack runs: the pid of the process that has the dir open
 * The dir is the owner's only (700) and the files holding keys are 600: the write key and the
 * unsubscribe secret are what a forged event or unsubscribe link needs.
 */

export const DEFAULT_DATA_DIR = '.winback';
export const DEFAULT_PORT = 4000;

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.WINBACK_DATA_DIR ?? DEFAULT_DATA_DIR);
}

export function resolvePort(flag?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (flag !== undefined) return flag;
  const fromEnv = env.WINBACK_PORT;
  if (fromEnv === undefined || fromEnv === '') return DEFAULT_PORT;
  const port = Number(fromEnv);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalConfigError(`WINBACK_PORT must be a port number (0 for a random one), got ${fromEnv}`);
  }
  return port;
}

export const LocalConfig = z.object({
  version: z.literal(1),
  /** Write key -> source name, the WRITE_KEYS the ingest handler gets. Add keys by editing the file. */
  writeKeys: z.record(z.string().min(8), z.string().min(1)).refine((keys) => Object.keys(keys).length > 0, {
    message: 'at least one write key',
  }),
  /** HMAC key of the local unsubscribe links and coupon codes; generated once, kept so old links keep working. */
  unsubscribeSecret: z.string().min(32).optional(),
});
export type LocalConfig = z.infer<typeof LocalConfig>;

export const LOCAL_SOURCE = 'local';

export async function loadOrCreateLocalConfig(dataDir: string): Promise<LocalConfig> {
  const file = path.join(dataDir, 'config.json');
  await secureDataDir(dataDir);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
    // Data dirs made by earlier versions have it world-readable.
    await ownerOnly(file, PRIVATE_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new LocalConfigError(`${file} is not valid JSON`, { cause: err });
    }
    const result = LocalConfig.safeParse(parsed);
    if (!result.success) {
      const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new LocalConfigError(`${file} is invalid: ${detail}`);
    }
    if (result.data.unsubscribeSecret) return result.data;
    // Data dirs made before campaigns existed get their secret on first use.
    const upgraded: LocalConfig = { ...result.data, unsubscribeSecret: randomBytes(32).toString('hex') };
    await writeJsonAtomic(file, upgraded);
    return upgraded;
  }
  const config: LocalConfig = {
    version: 1,
    writeKeys: { [`wk_local_${randomBytes(16).toString('hex')}`]: LOCAL_SOURCE },
    unsubscribeSecret: randomBytes(32).toString('hex'),
  };
  await writeJsonAtomic(file, config);
  return config;
}

/** The key the banner and the tests use: the first one mapping to the local source, else the first. */
export function primaryWriteKey(config: LocalConfig): string {
  const entries = Object.entries(config.writeKeys);
  return (entries.find(([, source]) => source === LOCAL_SOURCE) ?? entries[0]!)[0];
}

export const EndpointsFile = z.object({
  apiUrl: z.string().url(),
  inboxUrl: z.string().url(),
  writeKey: z.string(),
  dynamodb: z.string().url(),
  sqs: z.string().url(),
  ses: z.string().url(),
  tableName: z.string(),
  queues: z.object({
    events: z.string().url(),
    eventsDlq: z.string().url(),
    emailEvents: z.string().url(),
    emailEventsDlq: z.string().url(),
  }),
  pid: z.number().int(),
  startedAt: z.string(),
});
export type EndpointsFile = z.infer<typeof EndpointsFile>;

export function endpointsPath(dataDir: string): string {
  return path.join(dataDir, 'endpoints.json');
}

export async function writeEndpointsFile(dataDir: string, endpoints: EndpointsFile): Promise<void> {
  await writeJsonAtomic(endpointsPath(dataDir), endpoints);
}

/** undefined when absent or unreadable: a half-written or foreign file means "no stack known". */
export async function readEndpointsFile(dataDir: string): Promise<EndpointsFile | undefined> {
  try {
    const parsed = EndpointsFile.safeParse(JSON.parse(await readFile(endpointsPath(dataDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Removes endpoints.json if it is still ours (a newer stack on the same dir may have replaced it). */
export async function removeEndpointsFile(dataDir: string, pid: number = process.pid): Promise<void> {
  const current = await readEndpointsFile(dataDir);
  if (current && current.pid !== pid) return;
  await rm(endpointsPath(dataDir), { force: true });
}

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** Creates the data dir if needed and makes it the owner's only. */
export async function secureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR });
  await ownerOnly(dataDir, PRIVATE_DIR);
}

async function ownerOnly(file: string, mode: number): Promise<void> {
  if (((await stat(file)).mode & 0o777) !== mode) await chmod(file, mode);
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await secureDataDir(path.dirname(file));
  // Write then rename, so a reader (another CLI command) never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { encoding: 'utf8', mode: PRIVATE_FILE });
  // `mode` applies only to a new file; a temp file left by a crash keeps its own.
  await chmod(tmp, PRIVATE_FILE);
  await rename(tmp, file);
}
