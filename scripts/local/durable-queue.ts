import type { buildApp } from 'fauxqs';
import { QueueJournalError } from './errors.js';
import { decodeSqsBody, encodeSqsBody, md5OfBody } from './sqs-body-codec.js';
import { JournalEntry, type SqsJournal } from './sqs-journal.js';

/**
 * Hooks on the fauxqs app that make the local SQS behave like the real one where it matters to
 * winback, while every client (handlers, runtime, tests) keeps talking to it through the real SDK:
 *  - durability: accepted sends are journaled (and fsync'd) before SendMessage(Batch) answers,
 *    deletes and purges are journaled after they succeed, and replayJournal() puts what was never
 *    deleted back into the queues at start;
 *  - characters: bodies are escaped on the way in and unescaped on the way out (sqs-body-codec.ts),
 *    so everything real SQS accepts is accepted.
 */

export type FauxqsApp = ReturnType<typeof buildApp>;
export type Log = (line: string) => void;

interface PreparedEntry {
  readonly entry: JournalEntry;
  /** The MD5 of the body the client sent, when the queue saw an escaped one (else fauxqs's is right). */
  readonly md5?: string;
}

type Pending =
  | { readonly kind: 'send'; readonly queue: string; readonly entries: ReadonlyMap<string, PreparedEntry> }
  | { readonly kind: 'delete'; readonly queue: string; readonly messageIds: ReadonlyMap<string, string> }
  | { readonly kind: 'purge'; readonly queue: string };

/** The batch entry id a single SendMessage/DeleteMessage is filed under. */
const SINGLE = '';

export function journalQueueTraffic(app: FauxqsApp, journal: SqsJournal): void {
  const pending = new WeakMap<object, Pending>();
  const receipts = new ReceiptIndex();

  app.addHook('preHandler', async (request) => {
    const action = sqsAction(request.headers['x-amz-target']);
    const body = request.body;
    if (!action || !isRecord(body)) return;
    const queue = queueName(body['QueueUrl']);
    if (!queue) return;
    const prepared = prepare(action, body, queue, receipts);
    if (prepared) pending.set(request, prepared);
  });

  app.addHook('preSerialization', async (request, reply, payload: unknown) => {
    const ok = reply.statusCode === 200 && isRecord(payload);
    if (ok && sqsAction(request.headers['x-amz-target']) === 'ReceiveMessage') {
      for (const message of records(payload['Messages'])) unescapeReceived(message, receipts);
      return payload;
    }
    const p = pending.get(request);
    if (!p || !ok) return payload;
    pending.delete(request);
    switch (p.kind) {
      case 'send':
        await journalSends(journal, p, payload);
        break;
      case 'delete':
        await journal.recordDeletes(p.queue, succeeded(payload, p.messageIds));
        break;
      case 'purge':
        await journal.recordPurge(p.queue);
        break;
    }
    return payload;
  });
}

function prepare(action: string, body: Record<string, unknown>, queue: string, receipts: ReceiptIndex): Pending | undefined {
  switch (action) {
    case 'SendMessage': {
      const { QueueUrl: _url, ...entry } = body;
      const prepared = escapeEntry(body, entry);
      return prepared ? { kind: 'send', queue, entries: new Map([[SINGLE, prepared]]) } : undefined;
    }
    case 'SendMessageBatch': {
      const entries = new Map<string, PreparedEntry>();
      for (const item of records(body['Entries'])) {
        const { Id: id, ...entry } = item;
        const prepared = typeof id === 'string' ? escapeEntry(item, entry) : undefined;
        if (prepared) entries.set(id as string, prepared);
      }
      return { kind: 'send', queue, entries };
    }
    case 'DeleteMessage': {
      const id = receipts.take(body['ReceiptHandle']);
      return id === undefined ? undefined : { kind: 'delete', queue, messageIds: new Map([[SINGLE, id]]) };
    }
    case 'DeleteMessageBatch': {
      const messageIds = new Map<string, string>();
      for (const item of records(body['Entries'])) {
        const id = receipts.take(item['ReceiptHandle']);
        if (typeof item['Id'] === 'string' && id !== undefined) messageIds.set(item['Id'], id);
      }
      return { kind: 'delete', queue, messageIds };
    }
    case 'PurgeQueue':
      return { kind: 'purge', queue };
    default:
      return undefined;
  }
}

/**
 * Escapes the body fauxqs will see (in the request, in place) and returns what the client sent,
 * to journal. A body fauxqs will refuse anyway (missing) is left to it.
 */
function escapeEntry(target: Record<string, unknown>, sent: Record<string, unknown>): PreparedEntry | undefined {
  const parsed = JournalEntry.safeParse(sent);
  if (!parsed.success) return undefined;
  const body = parsed.data.MessageBody;
  const escaped = encodeSqsBody(body);
  if (escaped === body) return { entry: parsed.data };
  target['MessageBody'] = escaped;
  return { entry: parsed.data, md5: md5OfBody(body) };
}

async function journalSends(journal: SqsJournal, p: Extract<Pending, { kind: 'send' }>, payload: Record<string, unknown>): Promise<void> {
  const accepted: Array<{ id: string; entry: JournalEntry }> = [];
  const note = (entryId: string, result: Record<string, unknown>): void => {
    const prepared = p.entries.get(entryId);
    const messageId = result['MessageId'];
    if (!prepared || typeof messageId !== 'string') return;
    accepted.push({ id: messageId, entry: prepared.entry });
    if (prepared.md5) result['MD5OfMessageBody'] = prepared.md5;
  };
  if (p.entries.has(SINGLE)) note(SINGLE, payload);
  for (const result of records(payload['Successful'])) {
    if (typeof result['Id'] === 'string') note(result['Id'], result);
  }
  await journal.recordSends(p.queue, accepted);
}

function succeeded(payload: Record<string, unknown>, messageIds: ReadonlyMap<string, string>): string[] {
  if (messageIds.has(SINGLE)) return [messageIds.get(SINGLE)!];
  const ids: string[] = [];
  for (const result of records(payload['Successful'])) {
    const id = typeof result['Id'] === 'string' ? messageIds.get(result['Id']) : undefined;
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

function unescapeReceived(message: Record<string, unknown>, receipts: ReceiptIndex): void {
  const { Body: body, MessageId: id, ReceiptHandle: handle } = message;
  if (typeof id === 'string' && typeof handle === 'string') receipts.add(handle, id);
  if (typeof body !== 'string') return;
  const original = decodeSqsBody(body);
  if (original === body) return;
  message['Body'] = original;
  message['MD5OfBody'] = md5OfBody(original);
}

/**
 * Receipt handle -> message id of received messages, so a delete can name the message it ends.
 * A message received again gets a new handle; its old one is dropped.
 */
class ReceiptIndex {
  private readonly byHandle = new Map<string, string>();
  private readonly byMessage = new Map<string, string>();

  add(handle: string, messageId: string): void {
    const previous = this.byMessage.get(messageId);
    if (previous !== undefined) this.byHandle.delete(previous);
    this.byHandle.set(handle, messageId);
    this.byMessage.set(messageId, handle);
  }

  take(handle: unknown): string | undefined {
    if (typeof handle !== 'string') return undefined;
    const messageId = this.byHandle.get(handle);
    if (messageId === undefined) return undefined;
    this.byHandle.delete(handle);
    this.byMessage.delete(messageId);
    return messageId;
  }
}

/** Messages per SendMessageBatch and bytes of bodies per batch when replaying (fauxqs allows 1 MiB escaped). */
const REPLAY_BATCH = 10;
const REPLAY_BATCH_BYTES = 256 * 1024;
const REPLAY_CONCURRENCY = 4;

/**
 * Sends the messages the journal holds from the previous run into their queues (through the app,
 * so they are journaled anew), then makes the new journal the current one. Queues must exist.
 * Returns how many messages were replayed.
 */
export interface ReplayOptions {
  readonly log: Log;
  /** Signs the in-process calls as the SDK would with the local credentials (see call()). */
  readonly accessKeyId: string;
  readonly region: string;
}

export async function replayJournal(app: FauxqsApp, journal: SqsJournal, opts: ReplayOptions): Promise<number> {
  const { log } = opts;
  const sqs: SqsCall = (action, body) => call(app, opts, action, body);
  const byQueue = new Map<string, JournalEntry[]>();
  for (const m of journal.pending) {
    const entries = byQueue.get(m.queue) ?? [];
    entries.push(m.entry);
    byQueue.set(m.queue, entries);
  }
  let replayed = 0;
  for (const [queue, entries] of byQueue) {
    const url = await queueUrl(sqs, queue);
    if (!url) {
      log(`queue journal: ${entries.length} messages for queue ${queue} not replayed: the queue no longer exists`);
      continue;
    }
    const batches = chunk(entries);
    for (let i = 0; i < batches.length; i += REPLAY_CONCURRENCY) {
      await Promise.all(batches.slice(i, i + REPLAY_CONCURRENCY).map((batch) => sendBatch(sqs, url, batch)));
    }
    replayed += entries.length;
  }
  await journal.commitReplay();
  if (replayed > 0) log(`queue journal: ${replayed} messages accepted before the last stop were queued again`);
  return replayed;
}

function chunk(entries: readonly JournalEntry[]): JournalEntry[][] {
  const batches: JournalEntry[][] = [];
  let current: JournalEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody);
    if (current.length === REPLAY_BATCH || (current.length > 0 && bytes + size > REPLAY_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

type SqsCall = (action: string, body: unknown) => Promise<{ ok: boolean; body: unknown }>;

async function sendBatch(sqs: SqsCall, url: string, entries: readonly JournalEntry[]): Promise<void> {
  const out = await sqs('SendMessageBatch', { QueueUrl: url, Entries: entries.map((e, i) => ({ ...e, Id: String(i) })) });
  const failed = out.ok && isRecord(out.body) ? records(out.body['Failed']).length : entries.length;
  if (failed > 0) throw new QueueJournalError(`replaying the queue journal: ${failed} of ${entries.length} messages refused by ${queueName(url)}`);
}

async function queueUrl(sqs: SqsCall, queue: string): Promise<string | undefined> {
  const out = await sqs('GetQueueUrl', { QueueName: queue });
  const url = out.ok && isRecord(out.body) ? out.body['QueueUrl'] : undefined;
  return typeof url === 'string' ? url : undefined;
}

/**
 * One SQS JSON-protocol call, in process. The entries go back exactly as the clients sent them
 * (no SDK round trip to reshape attributes); the Authorization header is what the SDK would send
 * with the local credentials, which the emulator guard and fauxqs's region lookup read.
 */
async function call(app: FauxqsApp, opts: ReplayOptions, action: string, body: unknown): Promise<{ ok: boolean; body: unknown }> {
  const res = await app.inject({
    method: 'POST',
    url: '/',
    headers: {
      host: '127.0.0.1',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${action}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${opts.accessKeyId}/20000101/${opts.region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    payload: JSON.stringify(body),
  });
  return { ok: res.statusCode === 200, body: res.json() as unknown };
}

function sqsAction(target: unknown): string | undefined {
  return typeof target === 'string' && target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : undefined;
}

function queueName(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const name = url.slice(url.lastIndexOf('/') + 1);
  return name === '' ? undefined : name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
