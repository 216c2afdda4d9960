import { createRequire } from 'node:module';
import type { Identities } from '../../functions/store/erasure.js';
import { scrubOpenJournals } from './sqs-journal.js';

/**
 * What the local stack holds besides the table, removed after an erasure (in AWS these are
 * DynamoDB's, SQS's and SES's business, and winback keeps no copy):
 *  - dynalite's LevelDB files: a deleted item stays in the write-ahead log and the sorted tables
 *    until a compaction drops it, so the whole key range is compacted;
 *  - the queue journal (<dataDir>/sqs): the bodies of consumed messages stay until it is rewritten;
 *  - aws-ses-v2-local's inbox (memory only): the mails sent to the customer's addresses. Locally
 *    the inbox stands for the customer's own mailbox, but it is a copy winback's process holds.
 */

interface LevelDatabase {
  readonly status: string;
  /** dynalite wraps it as batch(operations, callback): keys and values take the database's encodings (utf8 keys). */
  batch(ops: Array<{ type: 'put' | 'del'; key: string; value?: string }>): Promise<void>;
  compactRange(start: string, end: string): Promise<void>;
}

const databases = new Set<LevelDatabase>();
let tracking = false;

/**
 * Remembers every LevelDB database opened in this process (dynalite opens its own, out of reach),
 * by wrapping classic-level's `_open`. Call before the emulators start; idempotent, and false if
 * the libraries change shape (erasure then still deletes the items, only the compaction is skipped).
 */
export function trackLevelDatabases(): boolean {
  if (tracking) return true;
  try {
    const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const fromLevel = createRequire(fromDynalite.resolve('level'));
    const { ClassicLevel } = fromLevel('classic-level') as { ClassicLevel?: { prototype: { _open?: (this: LevelDatabase, options: unknown, ...rest: unknown[]) => Promise<void> } } };
    const proto = ClassicLevel?.prototype;
    const original = proto?._open;
    if (!proto || typeof original !== 'function') return false;
    proto._open = async function (this: LevelDatabase, options: unknown, ...rest: unknown[]) {
      // Uncompressed blocks: what is on disk can be checked byte for byte (a Snappy block can hide
      // a string behind a back-reference), which is how the erasure tests prove nothing is left.
      await original.call(this, { ...(options as object), compression: false }, ...rest);
      databases.add(this);
    };
    tracking = true;
    return true;
  } catch {
    return false;
  }
}

/** Keys below and above every key dynalite writes (U+10FFFF is the highest UTF-8 lead byte, F4). */
const LOWEST = '\u0000';
const HIGHEST = '\u{10FFFF}'.repeat(4);

/**
 * CompactRange alone leaves a deleted item on disk: the memtable is flushed to the deepest free
 * level when nothing overlaps it, and a level is rewritten only as the input of a compaction into
 * the next one, so a file at the deepest level with files is never rewritten. Two rounds around
 * sentinel keys that bound the whole key space: the first flushes everything to tables; in the
 * second the flushed deletions of the sentinels overlap every table, so the compaction cascades
 * through every level below them and rewrites every file, dropping deleted items and the sentinels.
 */
async function compactLevelDatabases(): Promise<void> {
  for (const db of databases) {
    if (db.status !== 'open') {
      if (db.status === 'closed') databases.delete(db);
      continue;
    }
    await db.batch([{ type: 'put', key: LOWEST, value: '' }, { type: 'put', key: HIGHEST, value: '' }]);
    await db.compactRange(LOWEST, HIGHEST);
    await db.batch([{ type: 'del', key: LOWEST }, { type: 'del', key: HIGHEST }]);
    await db.compactRange(LOWEST, HIGHEST);
  }
}

interface InboxMail {
  readonly destination: { readonly to: readonly string[]; readonly cc: readonly string[]; readonly bcc: readonly string[] };
}

function removeInboxMails(emails: ReadonlySet<string>): number {
  try {
    const fromSes = createRequire(createRequire(import.meta.url).resolve('aws-ses-v2-local'));
    const { getStoreReadonly } = fromSes('./store') as { getStoreReadonly: () => { emails: InboxMail[] } };
    const store = getStoreReadonly();
    const addressed = (m: InboxMail): boolean =>
      [...m.destination.to, ...m.destination.cc, ...m.destination.bcc].some((to) => {
        const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
        return emails.has(address.trim().toLowerCase());
      });
    const before = store.emails.length;
    // In place: the emulator keeps using this array.
    const kept = store.emails.filter((m) => !addressed(m));
    store.emails.splice(0, store.emails.length, ...kept);
    return before - kept.length;
  } catch {
    return 0;
  }
}

export async function scrubLocalCopies(identities: readonly Identities[]): Promise<void> {
  removeInboxMails(new Set(identities.flatMap((i) => i.emails)));
  await scrubOpenJournals();
  await compactLevelDatabases();
}
