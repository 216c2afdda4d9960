import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { withStack } from '../local/stack.js';
import { ingestFile } from '../ingest/file.js';
import { UsageError, type CliCommand } from './command.js';

/**
 * `winback ingest <file.jsonl>`: a bulk load through the same validation as the API (each line
 * is checked with the API's schemas, then sent to the API in Segment-sized batches by the shared
 * sender in scripts/ingest/), so a file is held to the same rules as a live client. Rejected
 * lines are counted with their reasons.
 */
export { ingestFile, type IngestSummary } from '../ingest/file.js';

export const ingestCommand: CliCommand = {
  name: 'ingest',
  summary: 'bulk-load a JSONL file of Segment messages, orders and SES records through the API validation',
  help: [
    'usage: winback ingest <file.jsonl[.gz]> [--json] [--data-dir DIR]',
    '',
    'Each line is a Segment message (type track, identify or page), an order (type "order"), or an SES',
    'event record as {"type":"ses","record":{...}} (sent to /v1/email-events as an SNS notification;',
    'the format `winback simulate --out` writes).',
    'Uses the running stack (winback up) or starts one for the load. Rejected lines are counted by reason.',
    '      --json  print the summary as JSON',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run({ dataDir, values, positionals, out, err }) {
    const file = positionals[0];
    if (!file) throw new UsageError('name the file to ingest');
    const size = (await stat(file)).size;
    const bar = new cliProgress.SingleBar(
      { format: 'ingest [{bar}] {percentage}% | {value}/{total} bytes', stream: process.stderr, noTTYOutput: false },
      cliProgress.Presets.shades_classic,
    );
    const summary = await withStack(dataDir, async (stack) => {
      bar.start(size, 0);
      try {
        const result = await ingestFile(stack, file, (n) => bar.update(n));
        bar.update(size);
        return result;
      } finally {
        bar.stop();
      }
    });
    if (values['json']) out(JSON.stringify(summary, null, 2));
    else {
      out(`${summary.accepted} events accepted, ${summary.rejected} lines rejected, from ${summary.lines} lines of ${file}`);
      for (const [reason, n] of Object.entries(summary.reasons).sort((a, b) => b[1] - a[1])) out(`  ${String(n).padStart(6)}  ${reason}`);
      if (summary.examples.length) {
        err('first rejected lines:');
        for (const e of summary.examples.slice(0, 5)) err(`  line ${e.line}: ${e.reason}`);
      }
    }
    return summary.rejected > 0 && summary.accepted === 0 ? 1 : 0;
  },
};
