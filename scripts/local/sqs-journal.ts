import { open, readFile, rename, rm, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { QueueJournalError } from './errors.js';

/**
 * The write-ahead journal that makes the local queues durable. fauxqs keeps messages in memory
 * only; every message it accepts is also appended here and fsync'd before SendMessage answers, so
 * an event the API answered 2xx survives a `kill -9`. A deleted (processed) message gets a `del`
 * record; what is sent and never deleted is replayed into its queue at the next start.
 *
 * Format: one JSON record per line (`send`, `del`, `purge`), in <dataDir>/sqs/journal.ndjson,
 * readable by the owner only. Writes are group-committed: everything appended while a write is
 * under way goes to disk with the next single write + fdatasync, so concurrent requests share
 * fsyncs instead of paying one per message.
 */

/**
 * What a SendMessage(Batch) entry carried, minus its queue and batch id (attributes, delay, FIFO
 * ids as the JSON protocol spells them); replayed as is.
 */
export const JournalEntry = z.looseObject({ MessageBody: z.string() });
export type JournalEntry = z.infer<typeof JournalEntry>;

export const JournalRecord = z.discriminatedUnion('op', [
  z.object({ op: z.literal('send'), queue: z.string(), id: z.string(), entry: JournalEntry }),
  z.object({ op: z.literal('del'), queue: z.string(), ids: z.array(z.string()) }),
  z.object({ op: z.literal('purge'), queue: z.string() }),
]);
export type JournalRecord = z.infer<typeof JournalRecord>;

export interface PendingMessage {
  readonly queue: string;
  readonly entry: JournalEntry;
}

interface LiveMessage {
  readonly queue: string;
  readonly line: string;
}

interface Waiter {
  readonly text: string;
  readonly durable: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/** Rewrite the file once it holds this much and at most a quarter of it is still live. */
const COMPACT_MIN_BYTES = 16 * 1024 * 1024;

/** The journals open in this process, for scrubOpenJournals(). */
const openJournals = new Set<SqsJournal>();

/**
 * After an erasure: the journal keeps the bodies of consumed messages until it is rewritten, and
 * an erased customer's events must not stay on disk. Every open journal is rewritten now and after
 * each write for the next `windowMs` (the message that carried a Shopify customers/redact is
 * deleted only once its handler, which ran the erasure, returns).
 */
export async function scrubOpenJournals(windowMs = 30_000): Promise<void> {
  await Promise.all([...openJournals].map((j) => j.scrub(windowMs)));
}

export function journalPath(dataDir: string): string {
  return path.join(dataDir, 'sqs', 'journal.ndjson');
}

export class SqsJournal {
  private readonly live = new Map<string, LiveMessage>();
  private waiting: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private fileBytes = 0;
  private liveBytes = 0;
  private committed = false;
  private closed = false;
  /** Until then (epoch ms) every write is followed by a rewrite (scrubOpenJournals). */
  private scrubUntil = 0;

  private constructor(
    private readonly file: string,
    private handle: FileHandle,
    /** Messages the previous run accepted and never deleted, oldest first, to replay. */
    readonly pending: readonly PendingMessage[],
  ) {}

  /**
   * Reads the journal a previous run left and starts a new one beside it (`.next`). The old file
   * stays authoritative until commitReplay(), so a crash while replaying replays again next time.
   */
  static async open(dataDir: string): Promise<SqsJournal> {
    const file = journalPath(dataDir);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const pending = parseJournal(file, await readIfExists(file));
    const next = `${file}.next`;
    await rm(next, { force: true });
    const handle = await open(next, 'a', 0o600);
    const journal = new SqsJournal(file, handle, pending);
    openJournals.add(journal);
    return journal;
  }

  /** Resolves once the messages are on disk: the caller answers its client only after that. */
  recordSends(queue: string, messages: ReadonlyArray<{ id: string; entry: JournalEntry }>): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const lines = messages.map((m) => {
      const line = `${JSON.stringify({ op: 'send', queue, id: m.id, entry: m.entry } satisfies JournalRecord)}\n`;
      this.live.set(m.id, { queue, line });
      this.liveBytes += Buffer.byteLength(line);
      return line;
    });
    return this.append(lines.join(''), true);
  }

  /**
   * Deleted messages are done with. Not fsync'd: if the record is lost in a crash, the message is
   * replayed and processed again, which the idempotent handlers turn into the same state.
   */
  recordDeletes(queue: string, ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.forget(id));
    if (known.length === 0) return Promise.resolve();
    return this.append(`${JSON.stringify({ op: 'del', queue, ids: known } satisfies JournalRecord)}\n`, false);
  }

  recordPurge(queue: string): Promise<void> {
    for (const [id, message] of this.live) if (message.queue === queue) this.forget(id);
    return this.append(`${JSON.stringify({ op: 'purge', queue } satisfies JournalRecord)}\n`, true);
  }

  /** Messages sent and not yet deleted in this run. */
  get liveMessages(): number {
    return this.live.size;
  }

  /** The replayed messages are journaled anew (in `.next`): that file now replaces the old one. */
  async commitReplay(): Promise<void> {
    await this.settle();
    await this.handle.datasync();
    await rename(`${this.file}.next`, this.file);
    await syncDir(path.dirname(this.file));
    this.committed = true;
  }

  /** Writes what is pending, rewrites the file with only the live messages, and closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openJournals.delete(this);
    try {
      await this.settle();
      if (this.committed) await this.compact();
    } finally {
      await this.handle.close();
    }
  }

  /** Rewrites the file with the live messages only, now (through the writer) and after each write for `windowMs`. */
  scrub(windowMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.scrubUntil = Date.now() + windowMs;
    return this.append('', false);
  }

  private forget(id: string): boolean {
    const message = this.live.get(id);
    if (!message) return false;
    this.live.delete(id);
    this.liveBytes -= Buffer.byteLength(message.line);
    return true;
  }

  private append(text: string, durable: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new QueueJournalError(`the queue journal ${this.file} is closed`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ text, durable, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        try {
          const text = batch.map((w) => w.text).join('');
          await this.handle.appendFile(text, 'utf8');
          this.fileBytes += Buffer.byteLength(text);
          if (batch.some((w) => w.durable)) await this.handle.datasync();
        } catch (err) {
          const failure = new QueueJournalError(`could not write the queue journal ${this.file}`, { cause: err });
          for (const w of batch) w.reject(failure);
          continue;
        }
        for (const w of batch) w.resolve();
        const scrubbing = Date.now() < this.scrubUntil;
        if (this.committed && (scrubbing || (this.fileBytes > COMPACT_MIN_BYTES && this.liveBytes * 4 < this.fileBytes))) await this.compact();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Replaces the file by one holding only the live sends (written, fsync'd, renamed over it). */
  private async compact(): Promise<void> {
    const tmp = `${this.file}.compact`;
    const lines = [...this.live.values()].map((m) => m.line).join('');
    const out = await open(tmp, 'w', 0o600);
    try {
      await out.writeFile(lines, 'utf8');
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.file);
    await syncDir(path.dirname(this.file));
    if (!this.closed) {
      await this.handle.close();
      this.handle = await open(this.file, 'a', 0o600);
    }
    this.fileBytes = Buffer.byteLength(lines);
  }
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new QueueJournalError(`could not read the queue journal ${file}`, { cause: err });
  }
}

/**
 * The sends not deleted (nor purged) afterwards, in order. A last line cut short by a crash is
 * ignored: its fsync never completed, so its SendMessage was never answered. Any other unreadable
 * line is an error rather than a silent loss.
 */
export function parseJournal(file: string, text: string): PendingMessage[] {
  const sends = new Map<string, PendingMessage>();
  const deleted = new Set<string>();
  const lines = text.split('\n');
  const torn = lines.pop() ?? '';
  lines.forEach((line, i) => {
    if (line === '') return;
    const record = parseLine(line);
    if (!record) {
      throw new QueueJournalError(
        `${file} line ${i + 1} is not a journal record; move the file away to start without the messages it holds`,
      );
    }
    apply(record, sends, deleted);
  });
  const last = torn === '' ? undefined : parseLine(torn);
  if (last) apply(last, sends, deleted);
  return [...sends.values()];
}

function parseLine(line: string): JournalRecord | undefined {
  try {
    const parsed = JournalRecord.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function apply(record: JournalRecord, sends: Map<string, PendingMessage>, deleted: Set<string>): void {
  switch (record.op) {
    case 'send':
      if (!deleted.has(record.id)) sends.set(record.id, { queue: record.queue, entry: record.entry });
      return;
    case 'del':
      for (const id of record.ids) {
        if (!sends.delete(id)) deleted.add(id);
      }
      return;
    case 'purge':
      for (const [id, message] of sends) if (message.queue === record.queue) sends.delete(id);
      return;
  }
}

/** A rename is durable once its directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
