import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import cliProgress from 'cli-progress';
import { withStack, type StackHandle } from '../local/stack.js';
import { parseIngestLine } from '../../functions/ingest/lines.js';
import { MAX_BODY_BYTES } from '../../infra/settings.js';
import { UsageError, type CliCommand } from './command.js';

/**
 * `winback ingest <file.jsonl>`: a bulk load through the same validation as the API (each line
 * is checked with the API's schemas, then sent to the API in Segment-sized batches), so a file
 * is held to the same rules as a live client. Rejected lines are counted with their reasons.
 */
const MAX_BATCH_EVENTS = 100;
// Headroom under the API limit for the JSON wrapper.
const MAX_BATCH_BYTES = MAX_BODY_BYTES - 8 * 1024;
const IN_FLIGHT = 4;

export interface IngestSummary {
  readonly file: string;
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly reasons: Record<string, number>;
  readonly examples: Array<{ line: number; reason: string }>;
}

interface Pending {
  readonly route: '/v1/batch' | '/v1/orders';
  readonly items: unknown[];
  bytes: number;
  readonly lineNumbers: number[];
}

/** Groups a reason's variable parts (indices, values) so counts read as categories. */
const reasonKey = (reason: string): string => reason.replace(/\d+/g, 'N').slice(0, 160);

export async function ingestFile(
  stack: Pick<StackHandle, 'apiUrl' | 'writeKey'>,
  file: string,
  onProgress: (bytesRead: number) => void = () => undefined,
): Promise<IngestSummary> {
  const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
  const reasons: Record<string, number> = {};
  const examples: Array<{ line: number; reason: string }> = [];
  let lines = 0;
  let accepted = 0;
  let rejected = 0;
  const reject = (line: number, reason: string, count = 1): void => {
    rejected += count;
    const key = reasonKey(reason);
    reasons[key] = (reasons[key] ?? 0) + count;
    if (examples.length < 20) examples.push({ line, reason });
  };

  const inFlight = new Set<Promise<void>>();
  const send = async (batch: Pending): Promise<void> => {
    const body = JSON.stringify({ batch: batch.items });
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${stack.apiUrl}${batch.route}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });
      if (res.status === 200) {
        accepted += batch.items.length;
        return;
      }
      if ((res.status === 503 || res.status >= 500) && attempt < 5) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        continue;
      }
      const detail = ((await res.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${res.status}`;
      reject(batch.lineNumbers[0] ?? 0, `batch rejected by the API: ${detail}`, batch.items.length);
      return;
    }
  };
  const flush = async (batch: Pending | undefined): Promise<void> => {
    if (!batch || batch.items.length === 0) return;
    const p = send(batch).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  };

  const pending: Record<Pending['route'], Pending | undefined> = { '/v1/batch': undefined, '/v1/orders': undefined };
  const raw = createReadStream(file);
  let bytesRead = 0;
  raw.on('data', (chunk) => {
    bytesRead += chunk.length;
    onProgress(bytesRead);
  });
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    lines++;
    if (text.trim() === '') continue;
    const parsed = parseIngestLine(text);
    if (!parsed.ok) {
      reject(lines, parsed.reason);
      continue;
    }
    const route = parsed.kind === 'order' ? '/v1/orders' : '/v1/batch';
    const size = Buffer.byteLength(text) + 1;
    let batch = pending[route];
    if (batch && (batch.items.length >= MAX_BATCH_EVENTS || batch.bytes + size > MAX_BATCH_BYTES)) {
      await flush(batch);
      batch = undefined;
    }
    batch ??= pending[route] = { route, items: [], bytes: 0, lineNumbers: [] };
    pending[route] = batch;
    batch.items.push(parsed.raw);
    batch.bytes += size;
    batch.lineNumbers.push(lines);
  }
  await flush(pending['/v1/batch']);
  await flush(pending['/v1/orders']);
  await Promise.all(inFlight);
  return { file, lines, accepted, rejected, reasons, examples };
}

export const ingestCommand: CliCommand = {
  name: 'ingest',
  summary: 'bulk-load a JSONL file of Segment messages and orders through the API validation',
  help: [
    'usage: winback ingest <file.jsonl[.gz]> [--json] [--data-dir DIR]',
    '',
    'Each line is a Segment message (type track, identify or page) or an order (type "order").',
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
