import http from 'node:http';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../scripts/local/emulators.js';
import { emulatorRefusal, hostName, isLoopbackHost } from '../../scripts/local/loopback-guard.js';
import { useLocalStack } from '../helpers/stack.js';

const stackOf = useLocalStack();

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const SIGNED = 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00';

describe('the local API and console answer loopback host names only (DNS rebinding)', () => {
  it('answers 127.0.0.1, localhost and [::1], and 421 to any other Host', async () => {
    // Prepare
    const { apiUrl } = stackOf();
    const port = new URL(apiUrl).port;
    const health = `${apiUrl}/healthz`;
    // Act
    const loopback = await Promise.all(
      [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST'].map((host) => request(health, { headers: { host } })),
    );
    const foreign = await Promise.all(
      [`rebind.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, `192.168.1.10:${port}`].map((host) =>
        request(health, { headers: { host } }),
      ),
    );
    const ingest = await request(`${apiUrl}/v1/track`, {
      method: 'POST',
      headers: { host: `rebind.example:${port}`, 'content-type': 'application/json' },
      body: '{}',
    });
    // Assess
    expect(loopback.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(foreign.map((r) => r.status)).toEqual([421, 421, 421, 421]);
    expect(ingest.status).toBe(421);
    expect(JSON.parse(ingest.body)).toEqual({ message: expect.stringContaining('Misdirected Request') });
  });

  it('parses Host header values', () => {
    // Act / Assess
    expect(hostName('LocalHost:4000')).toBe('localhost');
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('a:b:c')).toBeUndefined();
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.0.0.2:4000')).toBe(false);
    expect(isLoopbackHost(undefined)).toBe(false);
  });
});

describe('the emulators refuse web pages', () => {
  it('DynamoDB (dynalite) refuses other origins, preflights, foreign hosts and unsigned requests; the SDK still works', async () => {
    // Prepare
    const { endpoints } = stackOf();
    const url = `${endpoints.dynamodb}/`;
    const port = new URL(url).port;
    const listTables = (headers: Record<string, string>): Promise<RawResponse> =>
      request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', ...headers },
        body: '{}',
      });
    // Act
    const fromPage = await listTables({ host: `127.0.0.1:${port}`, origin: 'https://attacker.example', authorization: SIGNED });
    const preflight = await request(url, { method: 'OPTIONS', headers: { host: `127.0.0.1:${port}`, origin: 'https://attacker.example', 'access-control-request-method': 'POST' } });
    const rebound = await listTables({ host: `rebind.example:${port}`, authorization: SIGNED });
    const unsigned = await listTables({ host: `127.0.0.1:${port}` });
    const otherKey = await listTables({ host: `127.0.0.1:${port}`, authorization: SIGNED.replace('local/', 'AKIAEXAMPLE/') });
    const ddb = new DynamoDBClient(localClientConfig(endpoints.dynamodb));
    const sdk = await ddb.send(new ListTablesCommand({})).finally(() => ddb.destroy());
    // Assess
    for (const refused of [fromPage, preflight, rebound, unsigned, otherKey]) {
      expect(refused.status).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(sdk.TableNames).toContain('winback');
  });

  it('SQS (fauxqs) refuses other origins and unsigned requests; the SDK still works', async () => {
    // Prepare
    const { endpoints } = stackOf();
    const port = new URL(endpoints.sqs).port;
    const listQueues = (headers: Record<string, string>): Promise<RawResponse> =>
      request(`${endpoints.sqs}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues', ...headers },
        body: '{}',
      });
    // Act
    const fromPage = await listQueues({ host: `127.0.0.1:${port}`, origin: 'http://localhost:3000', authorization: SIGNED });
    const unsigned = await listQueues({ host: `127.0.0.1:${port}` });
    const inspect = await request(`${endpoints.sqs}/_fauxqs/queues`, { headers: { host: `127.0.0.1:${port}` } });
    const sqs = new SQSClient(localClientConfig(endpoints.sqs));
    const sdk = await sqs.send(new ListQueuesCommand({})).finally(() => sqs.destroy());
    // Assess
    expect([fromPage.status, unsigned.status, inspect.status]).toEqual([403, 403, 403]);
    expect(sdk.QueueUrls?.some((u) => u.endsWith('/winback-events'))).toBe(true);
  });

  it('SES lets its own inbox page in and refuses other origins, preflights and foreign hosts', async () => {
    // Prepare
    const { endpoints } = stackOf();
    const host = new URL(endpoints.ses).host;
    // Act
    const inbox = await request(`${endpoints.ses}/store`, { headers: { host } });
    const sameOrigin = await request(`${endpoints.ses}/store`, { headers: { host, origin: `http://${host}` } });
    const crossSite = await request(`${endpoints.ses}/clear-store`, { method: 'POST', headers: { host, origin: 'https://attacker.example' } });
    const preflight = await request(`${endpoints.ses}/store`, { method: 'OPTIONS', headers: { host, origin: `http://${host}` } });
    const rebound = await request(`${endpoints.ses}/store`, { headers: { host: 'rebind.example' } });
    // Assess
    expect([inbox.status, sameOrigin.status]).toEqual([200, 200]);
    expect([crossSite.status, preflight.status, rebound.status]).toEqual([403, 403, 403]);
  });

  it('decides on the request alone', () => {
    // Act / Assess
    const base = { host: 'sqs.us-east-1.localhost:9', authorization: SIGNED };
    expect(emulatorRefusal({ method: 'POST', headers: base }, 'sdk', 'local')).toBeUndefined();
    expect(emulatorRefusal({ method: 'POST', headers: { ...base, origin: 'null' } }, 'sdk', 'local')).toMatch(/origins/);
    expect(emulatorRefusal({ method: 'POST', headers: { ...base, host: 'localhost.attacker.example:9' } }, 'sdk', 'local')).toMatch(/Host/);
  });
});

describe('the data dir keeps its secrets to its owner', () => {
  it('is 700, and config.json (write key, unsubscribe secret) and endpoints.json are 600', async () => {
    // Prepare
    const { dataDir } = stackOf();
    // Act
    const modes = await Promise.all(
      [dataDir, path.join(dataDir, 'config.json'), path.join(dataDir, 'endpoints.json')].map(async (p) => (await stat(p)).mode & 0o777),
    );
    // Assess
    expect(modes).toEqual([0o700, 0o600, 0o600]);
  });
});
