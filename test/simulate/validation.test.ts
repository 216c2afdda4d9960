import { describe, expect, it } from 'vitest';
import { SegmentMessage } from '../../functions/events/segment-event.js';
import { OrderEvent } from '../../kernel/events/order-event.js';
import { SesEventRecord, SnsEnvelope } from '../../functions/events/ses-event.js';
import { parseOrThrow } from '../../functions/events/validation.js';
import { MAX_EVENT_BYTES } from '../../kernel/settings.js';
import { simulatePopulation } from '../../scripts/simulate/population.js';
import { snsNotificationFor } from '../../scripts/ingest/sns.js';
import { toJsonLine } from '../../scripts/simulate/output.js';
import { parseBulkLine } from '../../scripts/ingest/lines.js';

/** Everything the simulator emits must pass the API's own schemas, unchanged. */
describe('simulate: every event passes the ingest validation', () => {
  const { events } = simulatePopulation({ customers: 300, days: 365, seed: 8, start: '2025-01-01' });

  it('Segment messages, orders and SES records (inside their SNS notifications) all parse', () => {
    const failures: string[] = [];
    for (const e of events) {
      try {
        if (e.kind === 'segment') {
          parseOrThrow(SegmentMessage, e.message);
          expect(Buffer.byteLength(JSON.stringify(e.message))).toBeLessThan(MAX_EVENT_BYTES);
        } else if (e.kind === 'order') {
          parseOrThrow(OrderEvent, e.order);
        } else {
          const envelope = parseOrThrow(SnsEnvelope, snsNotificationFor(e.record));
          parseOrThrow(SesEventRecord, JSON.parse(envelope.Message), 'Message');
        }
      } catch (error) {
        failures.push(`${e.kind} ${e.at}: ${(error as Error).message}`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(events.length).toBeGreaterThan(20_000);
  });

  it('every JSONL line the simulator writes is one `winback ingest` accepts', () => {
    const rejected = events.map((e) => parseBulkLine(toJsonLine(e))).filter((p) => !p.ok);
    expect(rejected).toEqual([]);
  });

  it('SES records follow the event publishing format of the fixtures (mail, tags, detail objects)', () => {
    const open = events.find((e) => e.kind === 'ses' && e.record.eventType === 'Open');
    expect(open?.kind).toBe('ses');
    if (open?.kind !== 'ses') return;
    expect(open.record).toMatchObject({
      mail: {
        source: expect.any(String),
        sendingAccountId: expect.any(String),
        destination: [expect.stringMatching(/^sim8-\d{6}@example\.test$/)],
        headersTruncated: false,
        commonHeaders: { subject: expect.any(String) },
        tags: { 'ses:configuration-set': ['winback'], campaign: ['newsletter'], customer: [expect.stringMatching(/^sim8-/)] },
      },
      open: { timestamp: open.at, ipAddress: expect.any(String), userAgent: expect.any(String) },
    });
  });
});
