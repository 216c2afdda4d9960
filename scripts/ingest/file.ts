import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ApiSender, type ApiTarget, type SenderOptions } from './sender.js';
import { parseBulkLine } from './lines.js';

/**
 * A bulk load of a JSONL file through the same validation as the API: each line is checked
 * with the API's schemas (so a bad line is reported by number and never sinks a batch), then
 * sent to the API in Segment-sized batches by the shared sender.
 */
export interface IngestSummary {
  readonly file: string;
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly reasons: Record<string, number>;
  readonly examples: Array<{ line: number; reason: string }>;
}

export async function ingestFile(
  stack: ApiTarget,
  file: string,
  onProgress: (bytesRead: number) => void = () => undefined,
  senderOptions: SenderOptions = {},
): Promise<IngestSummary> {
  const sender = new ApiSender(stack, senderOptions);
  let lines = 0;
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
    const parsed = parseBulkLine(text);
    if (!parsed.ok) sender.reject(lines, parsed.reason);
    else if (parsed.kind === 'ses') await sender.add({ kind: 'ses', record: parsed.record }, lines);
    else await sender.add({ kind: parsed.kind, payload: parsed.raw }, lines);
  }
  const sent = await sender.close();
  return {
    file,
    lines,
    accepted: sent.accepted,
    rejected: sent.rejected,
    reasons: sent.reasons,
    examples: sent.examples.map((e) => ({ line: Number(e.ref), reason: e.reason })),
  };
}
