import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseCsv } from '../../models/data/csv.js';
import { SATISFACTION_EVENTS, type SatisfactionEventName } from '../../kernel/events/satisfaction-event.js';
import { sha256 } from '../../kernel/ids.js';
import { ValidationError } from '../../kernel/errors.js';
import { SegmentMessage } from '../../functions/events/segment-event.js';
import { parseOrThrow } from '../../functions/events/validation.js';
import { ApiSender, type ApiTarget, type SendSummary, type SenderOptions } from './sender.js';

/**
 * `winback import satisfaction --csv FILE`: survey answers and help-desk tickets exported as CSV,
 * sent through the ingest API as the documented track events (kernel/events/satisfaction-event.ts),
 * each row checked with the API's own schema first so a bad row is reported by its line number.
 *
 * Columns (header row, any order; unknown columns ignored):
 *   userId or email   who (a row with only an email goes to the customer with that address)
 *   type              survey | ticket-opened | ticket-resolved | complaint (or the event name)
 *   timestamp         ISO 8601 with an offset (2026-03-01T10:00:00Z)
 *   score, scale      surveys: nps 0-10 or csat 1-5
 *   surveyId          optional
 *   category, severity, ticketId   tickets and complaints (severity low|medium|high|critical)
 * A `comment` column is not read: free text stays in the survey tool.
 *
 * Idempotent: a row's messageId is a hash of who, what, when and its ids, so importing the same
 * file again (or an export that overlaps the last one) stores each fact once.
 */
export interface SatisfactionImportSummary extends SendSummary {
  readonly file: string;
  readonly rows: number;
  readonly byType: Record<string, number>;
  readonly customers: number;
}

/** Finds the customer id of an address (the email index); undefined when nobody has it. */
export type CustomerByEmail = (email: string) => Promise<string | undefined>;

const TYPES: Readonly<Record<string, SatisfactionEventName>> = {
  survey: SATISFACTION_EVENTS.survey,
  surveyresponded: SATISFACTION_EVENTS.survey,
  ticketopened: SATISFACTION_EVENTS.ticketOpened,
  ticketresolved: SATISFACTION_EVENTS.ticketResolved,
  complaint: SATISFACTION_EVENTS.complaint,
  complaintfiled: SATISFACTION_EVENTS.complaint,
};

export class CsvHeaderError extends ValidationError {}

const key = (s: string): string => s.toLowerCase().replace(/[^a-z]/g, '');

/** A CSV cell as a property value: numbers for score, text otherwise; empty cells are absent. */
function properties(type: SatisfactionEventName, cell: (name: string) => string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (type === SATISFACTION_EVENTS.survey) {
    const score = cell('score');
    if (score !== undefined) out['score'] = /^-?\d+(\.\d+)?$/.test(score) ? Number(score) : score;
    for (const name of ['scale', 'surveyId']) if (cell(name) !== undefined) out[name] = name === 'scale' ? cell(name)!.toLowerCase() : cell(name);
  } else {
    for (const name of ['ticketId', 'category']) if (cell(name) !== undefined) out[name] = cell(name);
    if (cell('severity') !== undefined) out['severity'] = cell('severity')!.toLowerCase();
  }
  return out;
}

export async function importSatisfactionCsv(
  stack: ApiTarget,
  file: string,
  customerByEmail: CustomerByEmail,
  senderOptions: SenderOptions = {},
): Promise<SatisfactionImportSummary> {
  const bytes = await readFile(file);
  const records = parseCsv((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
  const header = (records[0] ?? []).map((h) => h.trim());
  const column = new Map(header.map((h, i) => [key(h), i]));
  for (const required of ['type', 'timestamp']) {
    if (!column.has(required)) throw new CsvHeaderError(`${file}: the header has no "${required}" column (found: ${header.join(', ') || 'nothing'})`, required);
  }
  if (!column.has('userid') && !column.has('email')) throw new CsvHeaderError(`${file}: the header needs a "userId" or an "email" column`, 'userId');

  const sender = new ApiSender(stack, senderOptions);
  const byType: Record<string, number> = {};
  const customers = new Set<string>();
  const emailCache = new Map<string, string | undefined>();
  let rows = 0;
  for (let r = 1; r < records.length; r++) {
    const fields = records[r]!;
    if (fields.every((f) => f.trim() === '')) continue;
    rows++;
    const line = r + 1;
    const cell = (name: string): string | undefined => {
      const i = column.get(key(name));
      const v = i === undefined ? undefined : fields[i]?.trim();
      return v ? v : undefined;
    };
    const type = TYPES[key(cell('type') ?? '')];
    if (!type) {
      sender.reject(line, `type must be survey, ticket-opened, ticket-resolved or complaint`);
      continue;
    }
    let userId = cell('userId');
    const email = cell('email');
    if (!userId && email) {
      const normalised = email.toLowerCase();
      if (!emailCache.has(normalised)) emailCache.set(normalised, await customerByEmail(normalised));
      userId = emailCache.get(normalised);
      if (!userId) {
        sender.reject(line, 'no customer has this email (give a userId)');
        continue;
      }
    }
    if (!userId) {
      sender.reject(line, 'a row needs a userId or an email');
      continue;
    }
    const props = properties(type, cell);
    const timestamp = cell('timestamp');
    const messageId = `csv-sat-${sha256(JSON.stringify([userId, type, timestamp, props])).slice(0, 32)}`;
    const message = { type: 'track', userId, event: type, ...(timestamp ? { timestamp } : {}), properties: props, messageId };
    try {
      // A row without a time would be stored at "now": refuse it instead, as the API's schema would not.
      if (!timestamp) throw new ValidationError('timestamp: required (ISO 8601 with an offset)', 'timestamp');
      parseOrThrow(SegmentMessage, message);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sender.reject(line, error.message.replace(/^properties\./, ''));
      continue;
    }
    byType[type] = (byType[type] ?? 0) + 1;
    customers.add(userId);
    await sender.add({ kind: 'segment', payload: message }, line);
  }
  const sent = await sender.close();
  return { ...sent, file, rows, byType, customers: customers.size };
}
