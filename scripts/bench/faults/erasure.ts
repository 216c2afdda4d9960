import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ScanCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requestErasure } from '../../../application/erasure.js';
import { claimLedgerEntry } from '../../../functions/store/ledger.js';
import { getProfile } from '../../../functions/store/profiles.js';
import { queryCustomerEvents } from '../../../functions/store/events.js';
import { suppress } from '../../../functions/store/suppression.js';
import { localClientConfig } from '../../local/emulators.js';
import { captureHandlerLogs } from './handler-logs.js';
import { pool, type Scenario } from './scenario.js';

/**
 * Customers with full histories (anonymous page views stitched by identify, events under a legacy
 * id merged by alias, traits with email, name and phone, an order, a send on the ledger, a
 * complaint, a mail in the inbox) are erased through the privacy API (`POST /v1/erasure`, what
 * `winback customers erase` calls), as many others are kept. Afterwards no item of any table, no
 * file of the data dir and no log line written during the scenario holds an erased customer's
 * email, name, phone, user id, anonymous id or legacy id; the kept customers' profiles and events
 * are unchanged.
 */
/** One customer's personal data as the erasure checks search for it (also test/privacy/erasure.test.ts). */
export interface Person {
  readonly userId: string;
  readonly anonymousId: string;
  readonly legacyId: string;
  readonly email: string;
  readonly name: string;
  readonly phone: string;
}

export const needles = (p: Person): string[] => [p.userId, p.anonymousId, p.legacyId, p.email, p.name, p.phone];

export const erasure: Scenario = {
  name: 'erasure',
  volume: 100,
  minimum: 2,
  guarantee: 'an erased customer leaves no personal data in any table, data-dir file or log line; other customers are untouched',
  async run({ stack, operations, random, log }) {
    // Every person's strings share the run's digits, so one pass over each file finds them all.
    const run = String(100_000 + Math.floor(random() * 900_000));
    // Fixed-width numbers: no erased person's string may be a prefix of a kept one's (u1 of u100).
    const person = (n: number): Person => {
      const i = String(n).padStart(4, '0');
      return { userId: `er-${run}-u${i}`, anonymousId: `er-${run}-a${i}`, legacyId: `er-${run}-l${i}`, email: `er-${run}-e${i}@example.org`, name: `Erin ${run}x${i}`, phone: `+1${run}${i}` };
    };
    const erased = Array.from({ length: operations }, (_, i) => person(i));
    const kept = Array.from({ length: operations }, (_, i) => person(operations + i));
    // The handlers' log lines of the whole scenario (ingest, processing, erasure) are kept for the check, not printed.
    const logs = captureHandlerLogs();
    const ses = new SESv2Client(localClientConfig(stack.endpoints.ses));
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    const post = async (route: string, body: unknown): Promise<void> => {
      const res = await fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
    };
    let untouched = 0;
    let itemsLeft = 0;
    let filesLeft = 0;
    let logLinesLeft = 0;
    let written = false;
    try {
      await pool([...erased, ...kept], 8, async (p) => {
        const t = (m: number) => new Date(Date.UTC(2026, 1, 1, 0, m)).toISOString();
        await post('/v1/batch', {
          batch: [
            { type: 'page', anonymousId: p.anonymousId, name: 'Home', messageId: `pg-${p.userId}`, timestamp: t(1) },
            { type: 'track', userId: p.legacyId, event: 'Signed Up', messageId: `tr-${p.userId}`, timestamp: t(2) },
            { type: 'identify', userId: p.userId, anonymousId: p.anonymousId, messageId: `id-${p.userId}`, timestamp: t(3), traits: { email: p.email, name: p.name, phone: p.phone } },
          ],
        });
        await post('/v1/alias', { previousId: p.legacyId, userId: p.userId, messageId: `al-${p.userId}`, timestamp: t(4) });
        await post('/v1/orders', { orderId: `o-${p.userId}`, status: 'placed', customerId: p.userId, email: p.email, currency: 'GBP', total: 42.5, timestamp: t(5) });
      });
      await stack.drain({ timeoutMs: 300_000 });
      await pool([...erased, ...kept], 8, async (p) => {
        await claimLedgerEntry(stack.tableName, { campaignId: 'bench-erasure', customerId: p.userId, stepId: 's1', entryId: `e-${p.userId}`, variant: 'a', group: 'treatment', transactional: false, status: 'pending', claimId: 'c1', now: new Date() });
        await suppress(stack.tableName, p.email, { reason: 'complaint', at: new Date().toISOString(), eventId: `cmp-${p.userId}` });
        await ses.send(new SendEmailCommand({ FromEmailAddress: 'shop@example.com', Destination: { ToAddresses: [p.email] }, Content: { Simple: { Subject: { Data: `Hi ${p.name}` }, Body: { Text: { Data: 'We miss you' } } } } }));
      });
      // The history really is there (else the checks below would pass vacuously).
      written = (await getProfile(stack.tableName, erased[0]!.userId))?.email === erased[0]!.email;
      const before = new Map<string, string>();
      for (const p of kept) before.set(p.userId, JSON.stringify([await getProfile(stack.tableName, p.userId), await queryCustomerEvents(stack.tableName, p.userId)]));

      for (let i = 0; i < erased.length; i += 10) {
        await requestErasure({ apiUrl: stack.apiUrl, unsubscribeSecret: process.env['UNSUBSCRIBE_SECRET'] ?? '' }, erased.slice(i, i + 10).map((p) => p.userId));
      }
      await stack.drain({ timeoutMs: 120_000 });

      for (const p of kept) {
        const now = JSON.stringify([await getProfile(stack.tableName, p.userId), await queryCustomerEvents(stack.tableName, p.userId)]);
        if (now !== before.get(p.userId)) untouched++;
      }
      itemsLeft = (await scanTables(stack.endpoints.dynamodb)).filter((item) => hasNeedle(item, run, forbidden(erased))).length;
      filesLeft = filesWith(stack.dataDir, run, forbidden(erased)).length;
    } finally {
      logs.stop();
      ses.destroy();
    }
    const lines = logs.lines;
    logLinesLeft = lines.filter((line) => hasNeedle(line, run, forbidden(erased))).length;
    // The check saw the handlers' lines (else it would pass vacuously): one per erased customer at least.
    const erasureLines = lines.filter((line) => line.includes('"customer erased"')).length;
    log(`erasure: ${lines.length} handler log lines checked (${erasureLines} 'customer erased'), ${logLinesLeft} with personal data`);
    return {
      operations,
      lost: untouched,
      duplicated: 0,
      violations: itemsLeft + filesLeft + logLinesLeft + (written ? 0 : 1) + (erasureLines >= erased.length ? 0 : 1),
      notes: { kept: kept.length, itemsLeft, filesLeft, logLinesLeft, logLinesChecked: lines.length, erasureLogLines: erasureLines },
    };
  },
};

function forbidden(people: readonly Person[]): Set<string> {
  return new Set(people.flatMap(needles).flatMap((s) => [s, s.toLowerCase()]));
}

/** Whether `text` holds one of the strings; all contain `marker`, so only its occurrences are examined. */
function hasNeedle(text: string, marker: string, strings: ReadonlySet<string>): boolean {
  for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
    const window = text.slice(Math.max(0, at - 16), at + 40);
    for (const s of strings) if (window.includes(s)) return true;
  }
  return false;
}

async function scanTables(endpoint: string): Promise<string[]> {
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  const doc = DynamoDBDocumentClient.from(raw);
  const items: string[] = [];
  try {
    for (const name of (await raw.send(new ListTablesCommand({}))).TableNames ?? []) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
        for (const item of out.Items ?? []) items.push(JSON.stringify(item));
        start = out.LastEvaluatedKey;
      } while (start);
    }
  } finally {
    raw.destroy();
  }
  return items;
}

function filesWith(dir: string, marker: string, strings: ReadonlySet<string>): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (hasNeedle(readFileSync(file).toString('latin1'), marker, strings)) hits.push(file.slice(dir.length));
    }
  };
  walk(dir);
  return hits;
}
