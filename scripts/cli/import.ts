import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { withStack } from '../local/stack.js';
import { defaultDatasetFile, loadDataset, type DatasetName } from '../ingest/datasets.js';
import { sendOrders } from '../ingest/import-orders.js';
import type { RejectionExample } from '../ingest/tally.js';
import type { CliCommand, CommandContext } from './command.js';

/**
 * `winback import cdnow|online-retail [file]`: a real data set's orders through the ingest API
 * (the loaders in models/data/ parse and clean; the API validates and stores), with the loader's
 * skipped rows and the API's refusals reported side by side.
 */
export interface ImportSummary {
  readonly dataset: DatasetName;
  readonly file: string;
  /** Data rows in the file. */
  readonly rows: number;
  /** Rows the loader skipped, by reason, and their sum. */
  readonly skipped: Record<string, number>;
  readonly skippedRows: number;
  /** Orders the loader built (an Online Retail invoice is one order; a CDNOW row is one). */
  readonly orders: number;
  readonly byStatus: Record<string, number>;
  readonly customers: number;
  /** Orders the API accepted (stored once the queue drains, which the command waits for). */
  readonly accepted: number;
  /** Orders refused (by the schema check before sending, or by the API), by reason. */
  readonly rejected: number;
  readonly rejections: Record<string, number>;
  readonly examples: RejectionExample[];
  readonly seconds: { readonly parse: number; readonly load: number };
  readonly ordersPerSecond: number;
}

/** Waits for the stack to store everything it accepted, so the command's end means "imported". */
const DRAIN_TIMEOUT_MS = 10 * 60_000;

export async function runImport(
  dataset: DatasetName,
  file: string,
  dataDir: string,
  progress: { start(total: number): void; update(done: number): void; stop(): void } = {
    start: () => undefined,
    update: () => undefined,
    stop: () => undefined,
  },
): Promise<ImportSummary> {
  const t0 = performance.now();
  const loaded = await loadDataset(dataset, file);
  const parseSeconds = (performance.now() - t0) / 1000;
  return withStack(dataDir, async (stack) => {
    const t1 = performance.now();
    progress.start(loaded.orders.length);
    const sent = await sendOrders(stack, loaded.orders, { onSettled: (n) => progress.update(n) }).finally(() => progress.stop());
    await stack.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    const loadSeconds = (performance.now() - t1) / 1000;
    return {
      dataset,
      file: loaded.file,
      rows: loaded.rows,
      skipped: loaded.skipped,
      skippedRows: Object.values(loaded.skipped).reduce((a, b) => a + b, 0),
      orders: sent.orders,
      byStatus: sent.byStatus,
      customers: sent.customers,
      accepted: sent.accepted,
      rejected: sent.rejected,
      rejections: sent.reasons,
      examples: sent.examples,
      seconds: { parse: round(parseSeconds), load: round(loadSeconds) },
      ordersPerSecond: Math.round(sent.accepted / Math.max(loadSeconds, 1e-3)),
    };
  });
}

const round = (s: number): number => Math.round(s * 100) / 100;
const fmt = (n: number): string => n.toLocaleString('en-US');

export function formatImportSummary(s: ImportSummary): string[] {
  const statuses = Object.entries(s.byStatus)
    .map(([status, n]) => `${fmt(n)} ${status}`)
    .join(', ');
  const lines = [
    `${s.dataset}: ${fmt(s.rows)} rows read -> ${fmt(s.orders)} orders (${statuses}) for ${fmt(s.customers)} customers`,
    `  ${fmt(s.accepted)} orders accepted by the API in ${s.seconds.load} s (${fmt(s.ordersPerSecond)} orders/s; parse ${s.seconds.parse} s)`,
    `  ${fmt(s.skippedRows)} rows skipped by the loader${s.skippedRows ? ':' : ''}`,
  ];
  for (const [reason, n] of Object.entries(s.skipped).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])) {
    lines.push(`    ${fmt(n).padStart(8)}  ${reason}`);
  }
  lines.push(`  ${fmt(s.rejected)} orders rejected${s.rejected ? ':' : ''}`);
  for (const [reason, n] of Object.entries(s.rejections).sort((a, b) => b[1] - a[1])) lines.push(`    ${fmt(n).padStart(8)}  ${reason}`);
  return lines;
}

function importCommand(dataset: DatasetName, what: string, fileHint: string): CliCommand {
  return {
    name: `import ${dataset}`,
    summary: `import the ${what} orders through the ingest API`,
    help: [
      `usage: winback import ${dataset} [${fileHint}] [--json] [--data-dir DIR]`,
      '',
      `Reads the ${what} file with the loader in models/data/ (default: the shared copy under`,
      '../shared/data, or WINBACK_SHARED_DATA), sends its orders through the ingest API (the running',
      'stack, else an embedded one) and waits until they are stored. Prints rows read, orders',
      'accepted, rows the loader skipped by reason, and orders the API refused by reason.',
      'No profile data is invented: customers are known by their id and their orders.',
      '      --json  print the summary as JSON',
    ].join('\n'),
    options: { json: { type: 'boolean' } },
    positionals: true,
    async run({ dataDir, values, positionals, out, err }: CommandContext) {
      const file = positionals[0] ?? defaultDatasetFile(dataset);
      const bar = new cliProgress.SingleBar(
        { format: `import ${dataset} [{bar}] {percentage}% | {value}/{total} orders | {duration}s`, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      const summary = await runImport(dataset, file, dataDir, {
        start: (total) => bar.start(total, 0),
        update: (done) => bar.update(done),
        stop: () => bar.stop(),
      });
      if (values['json']) out(JSON.stringify(summary, null, 2));
      else {
        for (const line of formatImportSummary(summary)) out(line);
        if (summary.examples.length) {
          err('first rejected orders:');
          for (const e of summary.examples.slice(0, 5)) err(`  ${e.ref}: ${e.reason}`);
        }
      }
      return summary.rejected > 0 && summary.accepted === 0 ? 1 : 0;
    },
  };
}

export const importCdnowCommand = importCommand('cdnow', 'CDNOW sample', 'CDNOW_sample.txt');
export const importOnlineRetailCommand = importCommand('online-retail', 'UCI Online Retail', 'online_retail.csv.gz');
