import { customersByEmail } from '../../functions/store/profiles.js';
import { preferredCustomer } from '../../functions/ingest/shopify/shopify-identity.js';
import { importSatisfactionCsv, type SatisfactionImportSummary } from '../ingest/import-satisfaction.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

const fmt = (n: number): string => n.toLocaleString('en-US');

export function formatSatisfactionSummary(s: SatisfactionImportSummary): string[] {
  const types = Object.entries(s.byType).map(([t, n]) => `${fmt(n)} ${t}`).join(', ') || 'none';
  const lines = [
    `${s.file}: ${fmt(s.rows)} rows -> ${fmt(s.accepted)} events accepted (${types}) for ${fmt(s.customers)} customers`,
    `  ${fmt(s.rejected)} rows rejected${s.rejected ? ':' : ''}`,
  ];
  for (const [reason, n] of Object.entries(s.reasons).sort((a, b) => b[1] - a[1])) lines.push(`    ${fmt(n).padStart(8)}  ${reason}`);
  return lines;
}

export const importSatisfactionCommand: CliCommand = {
  name: 'import satisfaction',
  summary: 'import survey answers (NPS, CSAT) and support tickets from a CSV file',
  help: [
    'usage: winback import satisfaction --csv FILE [--json] [--data-dir DIR]',
    '',
    'Sends each row as a documented track event (Survey Responded, Ticket Opened, Ticket Resolved,',
    'Complaint Filed) through the ingest API and waits until they are stored. Columns: userId or',
    'email, type (survey | ticket-opened | ticket-resolved | complaint), timestamp (ISO 8601), score,',
    'scale (nps 0-10 | csat 1-5), surveyId, category, severity (low|medium|high|critical), ticketId.',
    'A row with only an email goes to the customer with that address. Re-importing a file stores',
    'nothing twice (each row is keyed by its content). Bad rows are reported by line and reason.',
    '      --csv FILE  the CSV export (.csv or .csv.gz)',
    '      --json      print the summary as JSON',
  ].join('\n'),
  options: { csv: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out, err }) {
    const file = values['csv'];
    if (typeof file !== 'string' || file === '') throw new UsageError('name the file: --csv FILE');
    const summary = await withStack(dataDir, async (stack) => {
      const byEmail = async (email: string): Promise<string | undefined> => preferredCustomer(await customersByEmail(stack.tableName, email), '');
      const s = await importSatisfactionCsv(stack, file, byEmail);
      await stack.drain({ timeoutMs: 10 * 60_000 });
      return s;
    });
    if (values['json']) out(JSON.stringify(summary, null, 2));
    else {
      for (const line of formatSatisfactionSummary(summary)) out(line);
      for (const e of summary.examples.slice(0, 5)) err(`  line ${e.ref}: ${e.reason}`);
    }
    return summary.rejected > 0 && summary.accepted === 0 ? 1 : 0;
  },
};
