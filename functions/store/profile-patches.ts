import { isDeepStrictEqual } from 'node:util';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { customerPk } from './keys.js';
import { batchWrite, runLimited, type Item } from './batch.js';
import { patchOrder, profileWrites } from './profiles.js';
import { queryPrefix } from './query.js';
import { queryEvents } from './event-queries.js';

/**
 * Profile patches are written only when they change the profile. Most identify calls repeat what
 * the profile already says (analytics.js identifies on every page load), and a patch that repeats
 * the values in force at its time changes no merge: skipping it saves a write per repeat.
 *
 * Skipping must stay right when another processor, at the same moment, writes an older patch
 * with other values (gold at t1, then silver at t2 written concurrently with a skipped repeat of
 * gold at t3 would leave silver). So:
 *   1. the events are written first, then the stored patches are read (consistently);
 *   2. a candidate is written if it changes the state in force at its time;
 *   3. whoever writes a patch then reads the customer's events after it and writes the patches of
 *      any it did not itself decide on (puts of the same item, so repeating one is harmless).
 * Of two processors racing, either 3 sees the other's event (written before its patches were
 * read), or the other's read in 1 sees this patch; either way the repeat is not lost.
 */

interface ProfileState {
  readonly traits: Record<string, unknown>;
  readonly consent: Record<string, boolean>;
  readonly groups: Record<string, Record<string, unknown>>;
  groupId?: string;
}

type Values = Record<string, unknown> | undefined;
const entries = (v: unknown): Array<[string, unknown]> => Object.entries((v as Values) ?? {});

function apply(state: ProfileState, patch: Item): void {
  Object.assign(state.traits, (patch['traits'] as Values) ?? {});
  for (const [topic, granted] of entries(patch['consent'])) state.consent[topic] = granted as boolean;
  for (const [id, traits] of entries(patch['groups'])) {
    state.groups[id] = { ...(state.groups[id] ?? {}), ...(traits as Record<string, unknown>) };
    state.groupId = id;
  }
}

/** Whether applying `patch` to `state` would change any value (the time it records aside). */
function changes(state: ProfileState, patch: Item): boolean {
  if (entries(patch['traits']).some(([k, v]) => !isDeepStrictEqual(state.traits[k], v))) return true;
  if (entries(patch['consent']).some(([topic, granted]) => state.consent[topic] !== granted)) return true;
  for (const [id, traits] of entries(patch['groups'])) {
    if (state.groupId !== id) return true;
    if (entries(traits).some(([k, v]) => !isDeepStrictEqual(state.groups[id]?.[k], v))) return true;
  }
  return false;
}

/** The candidates (new patch items of one customer) that change its profile, given its stored patches. */
export function changingPatches(stored: readonly Item[], candidates: readonly Item[]): Item[] {
  const storedKeys = new Set(stored.map((p) => String(p['sk'])));
  const fresh = new Map(candidates.filter((c) => !storedKeys.has(String(c['sk']))).map((c) => [String(c['sk']), c]));
  const state: ProfileState = { traits: {}, consent: {}, groups: {} };
  const out: Item[] = [];
  for (const patch of [...stored, ...fresh.values()].sort(patchOrder)) {
    if (fresh.has(String(patch['sk']))) {
      if (!changes(state, patch)) continue;
      out.push(patch);
    }
    apply(state, patch);
  }
  return out;
}

const PATCH_READ_CONCURRENCY = 8;

function storedPatches(table: string, customerId: string): Promise<Item[]> {
  return queryPrefix(table, customerPk(customerId), 'P#', { consistent: true });
}

export interface PatchOutcome {
  readonly written: number;
  readonly skipped: number;
}

/** A customer's events at or after `from`, read consistently (step 3 above). */
const eventsSince = (table: string, customerId: string, from: string): Promise<StoredEvent[]> =>
  queryEvents(table, customerId, { from }, true);

/** The patch items of `events` whose keys are not in `known`. */
function missingPatches(events: readonly StoredEvent[], known: ReadonlySet<string>): Item[] {
  const out: Item[] = [];
  for (const event of events) {
    const patch = profileWrites(event).patch;
    if (patch && 'PutRequest' in patch && !known.has(String(patch.PutRequest.Item['sk']))) out.push(patch.PutRequest.Item);
  }
  return out;
}

/**
 * Writes the patches among `candidates` (by customer, from profileWrites) that change a profile;
 * call it after the events themselves are written.
 */
export async function writeProfilePatches(table: string, candidates: ReadonlyMap<string, readonly Item[]>): Promise<PatchOutcome> {
  if (candidates.size === 0) return { written: 0, skipped: 0 };
  const decided = new Set<string>();
  for (const items of candidates.values()) for (const item of items) decided.add(String(item['sk']));
  const customers = [...candidates.keys()];
  const stored = await runLimited(
    customers.map((id) => () => storedPatches(table, id)),
    PATCH_READ_CONCURRENCY,
  );
  const writes: Item[] = [];
  const recheck: Array<{ customerId: string; from: string; known: Set<string> }> = [];
  customers.forEach((customerId, i) => {
    const have = stored[i]!;
    const changed = changingPatches(have, candidates.get(customerId)!);
    writes.push(...changed);
    if (changed.length === 0) return;
    const from = changed.map((p) => String(p['at'])).sort()[0]!;
    recheck.push({ customerId, from, known: new Set([...have, ...changed].map((p) => String(p['sk']))) });
  });
  await batchWrite(table, writes.map((Item) => ({ PutRequest: { Item } })));

  const later = await runLimited(
    recheck.map(({ customerId, from, known }) => async () =>
      missingPatches(await eventsSince(table, customerId, from), new Set([...known, ...decided])),
    ),
    PATCH_READ_CONCURRENCY,
  );
  const rewritten = later.flat();
  await batchWrite(table, rewritten.map((Item) => ({ PutRequest: { Item } })));
  return { written: writes.length + rewritten.length, skipped: decided.size - writes.length };
}

/**
 * After patches were copied into a customer (an identity move: stitching or `alias`), which is a
 * patch write like any other: the patches of its later events that are missing (repeats skipped
 * against the values before the move) are written (step 3 above). Call it after the copy.
 */
export async function restoreLaterPatches(table: string, customerId: string, copied: readonly Item[]): Promise<number> {
  const times = copied.filter((i) => String(i['sk']).startsWith('P#')).map((i) => String(i['at']));
  if (times.length === 0) return 0;
  const from = times.sort()[0]!;
  const [have, events] = await Promise.all([storedPatches(table, customerId), eventsSince(table, customerId, from)]);
  const missing = missingPatches(events, new Set(have.map((p) => String(p['sk']))));
  await batchWrite(table, missing.map((Item) => ({ PutRequest: { Item } })));
  return missing.length;
}
