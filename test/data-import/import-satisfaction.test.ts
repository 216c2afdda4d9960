import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryCustomerEvents } from '../../functions/store/events.js';
import type { SatisfactionImportSummary } from '../../scripts/ingest/import-satisfaction.js';
import { winback, winbackJson } from '../helpers/cli.js';
import { post, useLocalStack } from '../helpers/stack.js';

/** `winback import satisfaction --csv FILE` against a running local stack. */
const stack = useLocalStack();

const CSV = [
  'userId,email,type,timestamp,score,scale,surveyId,category,severity,ticketId,comment',
  'sat-1,,survey,2026-03-01T10:00:00Z,4,NPS,q1,,,,"slow, and the box was damaged"',
  'sat-1,,ticket-opened,2026-03-01T11:00:00Z,,,,delivery,High,T-1,',
  'sat-1,,Ticket Resolved,2026-03-03T11:00:00Z,,,,delivery,,T-1,',
  ',kim@example.com,complaint,2026-03-02T09:00:00Z,,,,billing,critical,,',
  ',kim@example.com,survey,2026-03-02T09:30:00Z,5,csat,,,,,',
  'sat-1,,survey,2026-03-04T10:00:00Z,11,nps,,,,,',
  'sat-1,,survey,2026-03-04T10:00:00Z,3,stars,,,,,',
  'sat-1,,refund,2026-03-04T10:00:00Z,,,,,,,',
  ',nobody@example.com,survey,2026-03-04T10:00:00Z,9,nps,,,,,',
  ',,survey,2026-03-04T10:00:00Z,9,nps,,,,,',
  'sat-1,,ticket-opened,2026-03-04T10:00:00Z,,,,,,,',
  'sat-1,,survey,,9,nps,,,,,',
  '',
].join('\n');

describe('winback import satisfaction', () => {
  it('stores surveys, tickets and complaints as the documented events, by userId or by email, and names each bad row', async () => {
    // Prepare: kim is known by her email; the CSV file.
    const s = stack();
    expect((await post(s, '/v1/identify', { userId: 'kim-1', traits: { email: 'kim@example.com' }, messageId: 'kim-identify' })).status).toBe(200);
    await s.drain({ timeoutMs: 30_000 });
    const file = join(s.dataDir, 'satisfaction.csv');
    writeFileSync(file, CSV);

    // Act
    const summary = await winbackJson<SatisfactionImportSummary>('import', 'satisfaction', '--csv', file, '--data-dir', s.dataDir);

    // Assess
    expect(summary).toMatchObject({ rows: 12, accepted: 5, rejected: 7, customers: 2 });
    expect(summary.byType).toEqual({ 'Survey Responded': 2, 'Ticket Opened': 1, 'Ticket Resolved': 1, 'Complaint Filed': 1 });
    const reasons = summary.examples.map((e) => `${e.ref}: ${e.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^7: .*score.*a nps score is from 0 to 10; got 11/),
      expect.stringMatching(/^8: .*scale/),
      '9: type must be survey, ticket-opened, ticket-resolved or complaint',
      '10: no customer has this email (give a userId)',
      '11: a row needs a userId or an email',
      expect.stringMatching(/^12: .*ticketId/),
      '13: timestamp: required (ISO 8601 with an offset)',
    ]);
    const sat1 = (await queryCustomerEvents(s.tableName, 'sat-1')).filter((e) => e.kind === 'track');
    expect(sat1.map((e) => [e.name, e.properties])).toEqual([
      ['Survey Responded', { score: 4, scale: 'nps', surveyId: 'q1' }],
      ['Ticket Opened', { ticketId: 'T-1', category: 'delivery', severity: 'high' }],
      ['Ticket Resolved', { ticketId: 'T-1', category: 'delivery' }],
    ]);
    const kim = (await queryCustomerEvents(s.tableName, 'kim-1')).filter((e) => e.kind === 'track');
    expect(kim.map((e) => e.name)).toEqual(['Complaint Filed', 'Survey Responded']);
  });

  it('a second import of the same file stores nothing twice', async () => {
    const s = stack();
    const before = (await queryCustomerEvents(s.tableName, 'sat-1')).length;
    const again = await winbackJson<SatisfactionImportSummary>('import', 'satisfaction', '--csv', join(s.dataDir, 'satisfaction.csv'), '--data-dir', s.dataDir);
    expect(again.accepted).toBe(5);
    expect((await queryCustomerEvents(s.tableName, 'sat-1')).length).toBe(before);
    expect((await queryCustomerEvents(s.tableName, 'kim-1')).length).toBe(3);
  });

  it('refuses a file without a type column, and a missing --csv, with exit code 1 or 2', async () => {
    const s = stack();
    const file = join(s.dataDir, 'bad.csv');
    writeFileSync(file, 'userId,score\nx,3\n');
    const r = await winback('import', 'satisfaction', '--csv', file, '--data-dir', s.dataDir);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('no "type" column');
    const usage = await winback('import', 'satisfaction', '--data-dir', s.dataDir);
    expect(usage.code).not.toBe(0);
    expect(usage.err).toContain('--csv FILE');
  });
});
