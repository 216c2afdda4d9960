import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack.js';
import type { HttpHandler } from '../../scripts/local/runtime.js';

// The default route must reach functions/ingest-http.ts's handler; a recording stand-in proves
// that without depending on what the real handler answers.
const ingestCalls = vi.hoisted(() => [] as Array<{ event: APIGatewayProxyEventV2; context: Context }>);
vi.mock('../../functions/ingest-http.js', () => ({
  handler: async (event: APIGatewayProxyEventV2, context: Context) => {
    ingestCalls.push({ event, context });
    return { statusCode: 202, body: JSON.stringify({ ingest: true }) };
  },
}));

let stack: LocalStack;
let dataDir: string;
const recorded: APIGatewayProxyEventV2[] = [];
let nextResult: Awaited<ReturnType<HttpHandler>> = { statusCode: 200, body: '{}' };
let throwNext = false;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'winback-http-'));
  stack = await startLocalStack({ dataDir, port: 0, quiet: true });
  stack.runtime.addRoute('*', '/test', async (event) => {
    recorded.push(event);
    if (throwNext) {
      throwNext = false;
      throw new Error('boom');
    }
    return nextResult;
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  recorded.length = 0;
  ingestCalls.length = 0;
  nextResult = { statusCode: 200, body: '{}' };
});

/** Raw node:http request, so repeated headers and Cookie headers go out exactly as written. */
function rawRequest(opts: {
  method: string;
  path: string;
  headers?: Array<[string, string]>;
  body?: Buffer | string;
}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method,
        path: opts.path,
        // An array of pairs sends headers verbatim (repeats included) but then Node adds no Host.
        headers: [['host', url.host], ...(opts.headers ?? [])].flat(),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('local runtime HTTP', () => {
  it('answers /healthz itself', async () => {
    // Act
    const res = await fetch(`${stack.apiUrl}/healthz`);
    // Assess
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; pid: number };
    expect(body.ok).toBe(true);
    expect(body.pid).toBe(process.pid);
    expect(ingestCalls).toHaveLength(0);
  });

  it('sends other requests to the ingest handler with a v2 event and a Lambda context', async () => {
    // Act
    const res = await fetch(`${stack.apiUrl}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"event":"x"}',
    });
    // Assess
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ingest: true });
    expect(ingestCalls).toHaveLength(1);
    const { event, context } = ingestCalls[0]!;
    expect(event.version).toBe('2.0');
    expect(event.rawPath).toBe('/v1/track');
    expect(event.body).toBe('{"event":"x"}');
    expect(context.functionName).toBe('winback-ingest-http');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('builds a faithful API Gateway HTTP API payload 2.0 event', async () => {
    // Prepare
    const body = JSON.stringify({ userId: 'u1', event: 'Product Viewed' });
    // Act
    const res = await rawRequest({
      method: 'POST',
      path: '/test/things?a=1&b=x%20y&a=2&empty=',
      headers: [
        ['Content-Type', 'application/json; charset=utf-8'],
        ['X-Multi', 'one'],
        ['X-Multi', 'two'],
        ['Cookie', 'c1=v1; c2=v2'],
        ['User-Agent', 'winback-test/1.0'],
      ],
      body,
    });
    // Assess
    expect(res.status).toBe(200);
    expect(recorded).toHaveLength(1);
    const event = recorded[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/test/things',
      rawQueryString: 'a=1&b=x%20y&a=2&empty=',
      queryStringParameters: { a: '1,2', b: 'x y', empty: '' },
      cookies: ['c1=v1', 'c2=v2'],
      body,
      isBase64Encoded: false,
    });
    expect(event.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers['user-agent']).toBe('winback-test/1.0');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
    const ctx = event.requestContext;
    expect(ctx).toMatchObject({
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      routeKey: '$default',
      stage: '$default',
      http: { method: 'POST', path: '/test/things', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'winback-test/1.0' },
    });
    expect(ctx.requestId).toBe(res.headers['apigw-requestid']);
    expect(Math.abs(ctx.timeEpoch - Date.now())).toBeLessThan(10_000);
    expect(ctx.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('omits body, cookies and query parameters when the request has none', async () => {
    // Act
    await rawRequest({ method: 'GET', path: '/test' });
    // Assess
    const event = recorded[0]!;
    expect(event.rawQueryString).toBe('');
    expect(event.body).toBeUndefined();
    expect(event.cookies).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('base64-encodes non-text bodies', async () => {
    // Prepare
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    // Act
    await rawRequest({ method: 'PUT', path: '/test/bin', headers: [['content-type', 'application/octet-stream']], body: bytes });
    // Assess
    const event = recorded[0]!;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);
    expect(event.requestContext.http.method).toBe('PUT');
  });

  it('maps a structured result back: status, headers, cookies, base64 body', async () => {
    // Prepare
    nextResult = {
      statusCode: 207,
      headers: { 'X-Custom': 'yes', 'content-type': 'image/png' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    };
    // Act
    const res = await rawRequest({ method: 'GET', path: '/test/img' });
    // Assess
    expect(res.status).toBe(207);
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect([...res.body]).toEqual([137, 80, 78, 71]);
  });

  it('sends a non-structured result as a 200 JSON body, as API Gateway does', async () => {
    // Prepare
    nextResult = { hello: 'world' } as unknown as Awaited<ReturnType<HttpHandler>>;
    // Act
    const res = await fetch(`${stack.apiUrl}/test/plain`);
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ hello: 'world' });
  });

  it('routes by segment-wise prefix, longest first, and falls back to the default route', async () => {
    // Prepare
    const hits: string[] = [];
    stack.runtime.addRoute('GET', '/test/deeper', async () => {
      hits.push('deeper');
      return { statusCode: 204 };
    });
    // Act
    const deeper = await fetch(`${stack.apiUrl}/test/deeper/x`);
    const postDeeper = await fetch(`${stack.apiUrl}/test/deeper`, { method: 'POST' });
    const notUnder = await fetch(`${stack.apiUrl}/tests`);
    // Assess
    expect(deeper.status).toBe(204);
    expect(hits).toEqual(['deeper']);
    expect(postDeeper.status).toBe(200); // POST is not routed to the GET-only route; '/test' takes it
    expect(recorded.map((e) => e.rawPath)).toEqual(['/test/deeper']);
    expect(notUnder.status).toBe(202); // '/tests' is not under '/test': the ingest handler answers
    expect(ingestCalls.map((c) => c.event.rawPath)).toEqual(['/tests']);
  });

  it('answers 500 when a handler throws and keeps serving', async () => {
    // Prepare
    throwNext = true;
    // Act
    const failed = await fetch(`${stack.apiUrl}/test/fail`);
    const next = await fetch(`${stack.apiUrl}/test/ok`);
    // Assess
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    expect(next.status).toBe(200);
    expect(recorded).toHaveLength(2);
  });

  it('refuses bodies over API Gateway 10 MB with 413 without calling the handler', async () => {
    // Prepare
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    // Act
    const res = await rawRequest({ method: 'POST', path: '/test/big', headers: [['content-type', 'text/plain']], body: big });
    const after = await fetch(`${stack.apiUrl}/test/after`);
    // Assess
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Request Entity Too Large' });
    expect(recorded.map((e) => e.rawPath)).toEqual(['/test/after']);
    expect(after.status).toBe(200);
  });

  it('refuses a chunked body that grows past the cap', async () => {
    // Prepare: no content-length, so the cap is enforced while streaming
    const url = new URL(stack.apiUrl);
    // Act
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/test/stream', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x62);
      for (let i = 0; i < 11; i++) req.write(chunk);
      req.end();
    });
    // Assess
    expect(status).toBe(413);
    expect(recorded).toHaveLength(0);
  });
});
