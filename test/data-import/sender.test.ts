import { describe, expect, it } from 'vitest';
import { ApiSender, MAX_BATCH_ITEMS } from '../../scripts/ingest/sender.js';
import { ApiUnreachableError } from '../../scripts/ingest/errors.js';
import { SesEventRecord, SnsEnvelope } from '../../functions/events/ses-event.js';
import { sesFixture } from '../helpers/ses-fixtures.js';

interface Call {
  readonly path: string;
  readonly body: string;
  readonly auth: string | null;
}

/** A fetch that records requests and answers from `respond`, tracking the peak concurrency. */
function stubFetch(respond: (call: Call, n: number) => number | Error = () => 200, delayMs = 1) {
  const calls: Call[] = [];
  let active = 0;
  let peak = 0;
  const fetchFn = (async (url: string | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const call = { path: new URL(String(url)).pathname, body: String(init?.body), auth: headers.get('authorization') };
    calls.push(call);
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, delayMs));
    active--;
    const answer = respond(call, calls.length);
    if (answer instanceof Error) throw answer;
    return new Response(JSON.stringify(answer === 200 ? { success: true } : { error: 'x', message: `status ${answer}` }), { status: answer });
  }) as typeof fetch;
  return { fetchFn, calls, peak: () => peak };
}

const target = { apiUrl: 'http://api.test', writeKey: 'wk_test_123456' };
const track = (i: number, pad = 0) => ({ type: 'track', userId: `u${i}`, event: 'Product Viewed', messageId: `m${i}`, properties: { pad: 'x'.repeat(pad) } });
const sesRecord = (): Record<string, unknown> => sesFixture('open');

describe('ApiSender', () => {
  it('sends Segment messages in batches of at most 100 and orders to /v1/orders, with the write key', async () => {
    // Prepare
    const stub = stubFetch();
    const sender = new ApiSender(target, { fetch: stub.fetchFn });
    // Act
    for (let i = 0; i < 250; i++) await sender.add({ kind: 'segment', payload: track(i) }, i);
    await sender.add({ kind: 'order', payload: { orderId: 'o1' } }, 'o1');
    const summary = await sender.close();
    // Assess
    const batches = stub.calls.filter((c) => c.path === '/v1/batch').map((c) => (JSON.parse(c.body) as { batch: unknown[] }).batch.length);
    expect(batches).toEqual([MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 50]);
    const orders = stub.calls.filter((c) => c.path === '/v1/orders');
    expect(orders.map((c) => JSON.parse(c.body))).toEqual([{ batch: [{ orderId: 'o1' }] }]);
    expect(stub.calls.every((c) => c.auth === `Basic ${Buffer.from('wk_test_123456:').toString('base64')}`)).toBe(true);
    expect(summary).toMatchObject({ accepted: 251, rejected: 0, requests: 4 });
    expect(summary.byRoute['/v1/batch'].accepted).toBe(250);
  });

  it('closes a batch before its body would pass the byte limit', async () => {
    const stub = stubFetch();
    const sender = new ApiSender(target, { fetch: stub.fetchFn, maxBytes: 10_000 });
    for (let i = 0; i < 20; i++) await sender.add({ kind: 'segment', payload: track(i, 2000) }, i);
    await sender.close();
    const sizes = stub.calls.map((c) => Buffer.byteLength(c.body));
    expect(sizes.length).toBeGreaterThan(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10_000);
    expect(stub.calls.reduce((n, c) => n + (JSON.parse(c.body) as { batch: unknown[] }).batch.length, 0)).toBe(20);
  });

  it('sends each SES record as its own SNS notification that the API schemas accept', async () => {
    const stub = stubFetch();
    const sender = new ApiSender(target, { fetch: stub.fetchFn });
    const sentAfter = new Date().toISOString();
    const a = sesRecord();
    const b = sesRecord();
    (b['mail'] as { messageId: string }).messageId = 'other';
    await sender.add({ kind: 'ses', record: a });
    await sender.add({ kind: 'ses', record: b });
    const summary = await sender.close();
    expect(stub.calls.map((c) => c.path)).toEqual(['/v1/email-events', '/v1/email-events']);
    const envelopes = stub.calls.map((c) => SnsEnvelope.parse(JSON.parse(c.body)));
    expect(envelopes.map((e) => SesEventRecord.parse(JSON.parse(e.Message)).mail.messageId)).toEqual(['EXAMPLE-open-0001', 'other']);
    // Deterministic envelope: the same record gives the same notification id (SNS redelivery semantics).
    expect(envelopes[0]!.MessageId).not.toBe(envelopes[1]!.MessageId);
    // Stamped when sent, not with the record's 2017 time: the API refuses notifications older than an hour.
    expect(envelopes[0]!.Timestamp >= sentAfter).toBe(true);
    expect(summary.byRoute['/v1/email-events'].accepted).toBe(2);
  });

  it('retries a 503 with backoff and counts the batch once it is accepted', async () => {
    const stub = stubFetch((_, n) => (n <= 2 ? 503 : 200));
    const sender = new ApiSender(target, { fetch: stub.fetchFn, backoffMs: 1 });
    for (let i = 0; i < 3; i++) await sender.add({ kind: 'segment', payload: track(i) }, i);
    const summary = await sender.close();
    expect(stub.calls).toHaveLength(3);
    expect(summary).toMatchObject({ accepted: 3, rejected: 0, retries: 2 });
  });

  it('counts a refused batch as rejected with the API reason, and a 5xx that never clears too', async () => {
    const stub = stubFetch((call) => (call.path === '/v1/orders' ? 400 : 500));
    const sender = new ApiSender(target, { fetch: stub.fetchFn, backoffMs: 1, retries: 2 });
    await sender.add({ kind: 'order', payload: { orderId: 'bad' } }, 'bad');
    await sender.add({ kind: 'segment', payload: track(1) }, 7);
    const summary = await sender.close();
    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toBe(2);
    expect(summary.reasons).toEqual({ 'batch rejected by the API: status N': 2 });
    expect(summary.examples.map((e) => e.ref).sort()).toEqual([7, 'bad']);
    // 1 order request (400: no retry) + 3 attempts of the segment batch (500: 2 retries)
    expect(stub.calls).toHaveLength(4);
  });

  it('keeps at most the configured number of requests in flight', async () => {
    const stub = stubFetch(() => 200, 15);
    const sender = new ApiSender(target, { fetch: stub.fetchFn, maxItems: 1, inFlight: 3, notificationsInFlight: 5 });
    for (let i = 0; i < 12; i++) await sender.add({ kind: 'segment', payload: track(i) }, i);
    await sender.close();
    expect(stub.peak()).toBe(3);
    const notes = stubFetch(() => 200, 15);
    const s2 = new ApiSender(target, { fetch: notes.fetchFn, notificationsInFlight: 5 });
    for (let i = 0; i < 12; i++) await s2.add({ kind: 'ses', record: sesRecord() });
    await s2.close();
    expect(notes.peak()).toBe(5);
  });

  it('rejects an item too large for any request without sending it', async () => {
    const stub = stubFetch();
    const sender = new ApiSender(target, { fetch: stub.fetchFn, maxBytes: 1000 });
    await sender.add({ kind: 'segment', payload: track(1, 5000) }, 42);
    const summary = await sender.close();
    expect(stub.calls).toHaveLength(0);
    expect(summary.rejected).toBe(1);
    expect(summary.examples[0]).toMatchObject({ ref: 42 });
  });

  it('stops with ApiUnreachableError when the API never answers', async () => {
    const stub = stubFetch(() => new TypeError('fetch failed'));
    const sender = new ApiSender(target, { fetch: stub.fetchFn, backoffMs: 1, retries: 2 });
    await sender.add({ kind: 'segment', payload: track(1) });
    await expect(sender.close()).rejects.toBeInstanceOf(ApiUnreachableError);
    expect(stub.calls).toHaveLength(3);
  });
});
