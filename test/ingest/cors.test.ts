import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useLocalStack } from '../helpers/stack.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';
import { resetConfig } from '../../functions/commons/config.js';
import { errorResponse } from '../../functions/commons/http.js';
import { sendBody } from '../../functions/ingest/enqueue.js';
import { ThrottledError } from '../../kernel/errors.js';

/** CORS as a page on a shop's origin meets it, the per-write-key origins, and 429 answers. */
const stackOf = useLocalStack();
const SHOP = 'https://shop.example.com';

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Response> {
  return fetch(`${stackOf().apiUrl}${path}`, {
    method: init.method ?? 'POST',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

const track = (userId: string, messageId: string) => ({ type: 'track', userId, event: 'Product Viewed', messageId, timestamp: '2026-04-01T00:00:00Z' });
/** What analytics.js sends: text/plain JSON with the key in the body and in Authorization, and X-Retry-Count. */
const browserHeaders = (origin: string): Record<string, string> => ({
  origin,
  'content-type': 'text/plain',
  authorization: `Basic ${Buffer.from(`${stackOf().writeKey}:`).toString('base64')}`,
  'x-retry-count': '0',
});

afterEach(() => {
  delete process.env['WRITE_KEY_ORIGINS'];
  resetConfig();
  vi.restoreAllMocks();
});

describe('CORS on the ingest API', () => {
  it('answers a preflight for the headers analytics.js sends, without calling the handler', async () => {
    const res = await send('/v1/t', {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-retry-count' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-retry-count']));
    expect(res.headers.get('access-control-max-age')).toBe('3600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await res.text()).toBe('');
  });

  it('adds the CORS headers to the answer of a cross-origin request and lets the page read Retry-After', async () => {
    const res = await send('/v1/t', { headers: browserHeaders(SHOP), body: { ...track('cors-1', 'cors-m1'), writeKey: stackOf().writeKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('retry-after');
    // Requests without an Origin (servers, SDKs) get no CORS headers, as from API Gateway.
    const server = await send('/healthz', { method: 'GET' });
    expect(server.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a write key on an origin it is not allowed from (403, nothing stored) once its origins are configured', async () => {
    // Prepare
    const stack = stackOf();
    process.env['WRITE_KEY_ORIGINS'] = JSON.stringify({ [stack.writeKey]: [SHOP] });
    resetConfig();
    await stack.drain({ timeoutMs: 30_000 });
    const before = (await countEvents(stack.tableName)).total;
    // Act
    const evil = await send('/v1/t', { headers: browserHeaders('https://evil.example'), body: track('cors-2', 'cors-evil') });
    const evilBodyKey = await send('/v1/batch', {
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: { writeKey: stack.writeKey, batch: [track('cors-2', 'cors-evil-2')] },
    });
    const shop = await send('/v1/t', { headers: browserHeaders(SHOP), body: track('cors-2', 'cors-shop') });
    const { origin: _none, ...noOrigin } = browserHeaders(SHOP);
    const serverSide = await send('/v1/t', { headers: noOrigin, body: track('cors-2', 'cors-server') });
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: 'OriginNotAllowedError' });
    expect(evilBodyKey.status).toBe(403);
    expect(shop.status).toBe(200);
    expect(serverSide.status).toBe(200);
    expect((await queryCustomerEvents(stack.tableName, 'cors-2')).map((e) => e.eventId).sort()).toEqual(['seg:cors-server', 'seg:cors-shop']);
    expect((await countEvents(stack.tableName)).total).toBe(before + 2);
  });
});

describe('429 answers', () => {
  it('a throttled event queue is a 429 with Retry-After, which the browser library honours', async () => {
    // Prepare: SQS refuses the send as it does when throttling.
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    vi.spyOn(SQSClient.prototype, 'send').mockImplementation(() => Promise.reject(throttled));
    // Act
    const error = await sendBody('http://sqs.us-east-1.localhost/000000000000/winback-events', '{}').catch((e: unknown) => e);
    const answer = errorResponse(error);
    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
    expect(answer.statusCode).toBe(429);
    expect(answer.headers?.['retry-after']).toBe('2');
    // Any other queue failure stays a 503, also with Retry-After.
    vi.spyOn(SQSClient.prototype, 'send').mockImplementation(() => Promise.reject(new Error('socket hang up')));
    const other = errorResponse(await sendBody('http://sqs.us-east-1.localhost/000000000000/winback-events', '{}').catch((e: unknown) => e));
    expect(other.statusCode).toBe(503);
    expect(other.headers?.['retry-after']).toBe('1');
  });
});
