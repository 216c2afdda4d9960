import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestSummary } from '../../scripts/cli/ingest.js';
import { parseBulkLine } from '../../scripts/ingest/lines.js';
import { winbackJson, type EventCounts } from '../helpers/cli.js';
import { addressedSesRecord, sesFixture } from '../helpers/ses-fixtures.js';
import { useTempDir } from '../helpers/temp-dirs.js';

const dir = useTempDir('winback-ingest-ses-');

const addressed = (name: string, messageId: string): Record<string, any> =>
  addressedSesRecord(name, { email: 'ada@example.test', messageId, customerId: 'c-ada' });

describe('winback ingest: SES record lines', () => {
  it('parses {"type":"ses","record":...} with the SES schema and names the bad field', () => {
    const ok = parseBulkLine(JSON.stringify({ type: 'ses', record: addressed('open', 'm-1') }));
    expect(ok).toMatchObject({ ok: true, kind: 'ses' });
    const bad = sesFixture('bounce-permanent');
    delete bad['bounce'].bouncedRecipients;
    expect(parseBulkLine(JSON.stringify({ type: 'ses', record: bad }))).toEqual({
      ok: false,
      reason: expect.stringContaining('record.bounce.bouncedRecipients'),
    });
    expect(parseBulkLine('{"type":"ses"}')).toMatchObject({ ok: false, reason: expect.stringContaining('record') });
    // Other lines still go through the API's own line parser.
    expect(parseBulkLine('{"type":"track","userId":"u","event":"E"}')).toMatchObject({ ok: true, kind: 'segment' });
  });

  it('loads a file mixing Segment messages, orders and SES records, counting rejected lines by reason', async () => {
    // Prepare
    const file = join(dir, 'mixed.jsonl');
    const lines = [
      { type: 'identify', userId: 'c-ada', messageId: 'i-1', traits: { email: 'ada@example.test' } },
      { type: 'track', userId: 'c-ada', messageId: 't-1', event: 'Product Viewed', properties: { sku: 'SKU-1' } },
      { type: 'order', orderId: 'o-1', status: 'placed', customerId: 'c-ada', currency: 'GBP', total: 10, items: [], timestamp: '2025-01-02T10:00:00Z' },
      { type: 'ses', record: addressed('send', 'm-1') },
      { type: 'ses', record: addressed('delivery', 'm-1') },
      { type: 'ses', record: addressed('open', 'm-1') },
      { type: 'ses', record: { eventType: 'Open', mail: addressed('open', 'm-2')['mail'] } },
    ].map((l) => JSON.stringify(l));
    writeFileSync(file, `${lines.join('\n')}\nnot json\n`);
    // Act
    const summary = await winbackJson<IngestSummary>('ingest', file, '--data-dir', join(dir, 'data'));
    const counts = await winbackJson<EventCounts>('events', 'count', '--data-dir', join(dir, 'data'));
    // Assess
    expect(summary).toMatchObject({ lines: 8, accepted: 6, rejected: 2 });
    expect(summary.examples.map((e) => e.line)).toEqual([7, 8]);
    expect(Object.keys(summary.reasons).join(' ')).toContain('record.open');
    expect(counts.byKind).toEqual({ identify: 1, track: 1, order: 1, email: 3 });
    expect(counts.customers).toBe(1);
  });
});
