import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedJsonPost, signingRegion, SigningRegionError } from '../../application/sigv4.js';
import { winback } from '../helpers/cli.js';

/**
 * `winback customers erase|export --api URL` against a deployed stack, whose privacy routes are
 * behind API Gateway's IAM authorizer: the request must carry a SigV4 signature for execute-api in
 * the API's region, made with the default credential chain's keys. A local verifier written from
 * the SigV4 specification (not the SDK's signer) checks what the CLI sends.
 */
const ACCESS_KEY = 'AKIDWINBACKTEST00001';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWINBACKTEST';
const SESSION_TOKEN = 'session-token-of-an-assumed-role';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
  readonly scope?: { readonly accessKey: string; readonly date: string; readonly region: string; readonly service: string };
}

/** SigV4 verification as AWS does it: the canonical request rebuilt from what arrived, the signing key from the secret. */
function verify(req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }, body: Buffer, secrets: Record<string, string>): Verdict {
  const header = String(req.headers['authorization'] ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(header);
  if (!m) return { ok: false, reason: `malformed authorization '${header}'` };
  const [, accessKey, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const scope = { accessKey, date, region, service };
  const secret = secrets[accessKey];
  if (!secret) return { ok: false, reason: 'unknown access key', scope };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return { ok: false, reason: 'x-amz-date outside the credential date', scope };
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, reason: 'host and x-amz-date must be signed', scope };
  const [path, query = ''] = req.path.split('?') as [string, string?];
  const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, sha256(body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, stringToSign).toString('hex');
  return expected === signature ? { ok: true, reason: 'valid', scope } : { ok: false, reason: 'signature mismatch', scope };
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });

describe('SigV4 for the deployed privacy API', () => {
  let server: Server;
  let api = '';
  const seen: Array<{ path: string; verdict: Verdict; token: string | undefined; body: string }> = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    // The default credential chain finds these first (as an assumed role's keys in the environment).
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN });
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      const verdict = verify({ method: req.method ?? '', path: req.url ?? '', headers: req.headers }, body, { [ACCESS_KEY]: SECRET_KEY });
      seen.push({ path: req.url ?? '', verdict, token: req.headers['x-amz-security-token'] as string | undefined, body: body.toString() });
      // What API Gateway's IAM authorizer answers a request it cannot authenticate.
      if (!verdict.ok || verdict.scope?.service !== 'execute-api' || verdict.scope.region !== 'eu-west-1') {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Forbidden' }));
        return;
      }
      const payload = JSON.parse(body.toString()) as { customerIds?: string[]; customerId?: string };
      const answer = req.url?.endsWith('/export')
        ? { customerId: payload.customerId, found: true, identities: { emails: [] }, records: {} }
        : { erased: (payload.customerIds ?? []).map((id) => ({ customerHash: `h-${id}`.padEnd(16, '0').slice(0, 16), deletedItems: 3, identities: { customerIds: 1, anonymousIds: 0, emails: 1 }, hashedSuppressions: 0 })) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('customers erase --api signs for execute-api in the given region with the default chain: the verifier accepts it', async () => {
    const r = await winback('customers', 'erase', 'usr-42', 'usr-43', '--api', `${api}/`, '--region', 'eu-west-1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('erased usr-42: 3 records (log id h-usr-4200000000)\nerased usr-43: 3 records (log id h-usr-4300000000)');
    // One request per customer (application/erasure.ts), each signed.
    expect(seen.slice(-2).map((r) => [r.verdict.ok, JSON.parse(r.body)])).toEqual([[true, { customerIds: ['usr-42'] }], [true, { customerIds: ['usr-43'] }]]);
    const last = seen.at(-1)!;
    expect(last.path).toBe('/v1/erasure');
    expect(last.verdict).toMatchObject({ ok: true, scope: { accessKey: ACCESS_KEY, region: 'eu-west-1', service: 'execute-api' } });
    expect(last.token).toBe(SESSION_TOKEN);
  });

  it('customers export --api signs the export route the same way', async () => {
    const r = await winback('customers', 'export', 'usr-42', '--api', api, '--region', 'eu-west-1');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ customerId: 'usr-42', found: true });
    expect(seen.at(-1)).toMatchObject({ path: '/v1/erasure/export', verdict: { ok: true, scope: { service: 'execute-api', region: 'eu-west-1' } } });
  });

  it('a signature for another region is refused, and the CLI says so (the verifier is not vacuous)', async () => {
    const r = await winback('customers', 'erase', 'usr-42', '--api', api, '--region', 'us-east-1');
    expect(r.code).toBe(1);
    expect(r.err).toContain('HTTP 403');
    expect(seen.at(-1)!.verdict).toMatchObject({ ok: true, scope: { region: 'us-east-1' } });
  });

  it('the verifier refuses a signed request whose body was changed, and one signed with another secret', async () => {
    const url = new URL('/v1/erasure', api);
    const body = JSON.stringify({ customerIds: ['usr-42'] });
    const headers = await signedJsonPost(url, body, { region: 'eu-west-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const asReceived = { method: 'POST', path: '/v1/erasure', headers: { ...lower, host: url.host } };
    expect(verify(asReceived, Buffer.from(body), { [ACCESS_KEY]: SECRET_KEY }).ok).toBe(true);
    expect(verify(asReceived, Buffer.from(body.replace('42', '43')), { [ACCESS_KEY]: SECRET_KEY })).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(verify(asReceived, Buffer.from(body), { [ACCESS_KEY]: `${SECRET_KEY}x` })).toMatchObject({ ok: false, reason: 'signature mismatch' });
  });

  it('takes the region from an execute-api host, else --region or AWS_REGION, else says what to pass', () => {
    expect(signingRegion(new URL('https://abc123.execute-api.ap-southeast-2.amazonaws.com/'))).toBe('ap-southeast-2');
    expect(signingRegion(new URL('https://privacy.example.com/'), 'eu-central-1')).toBe('eu-central-1');
    expect(signingRegion(new URL('https://privacy.example.com/'), undefined, { AWS_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(() => signingRegion(new URL('https://privacy.example.com/'), undefined, {})).toThrow(SigningRegionError);
  });

  it('refuses an --api that is not a URL, naming the option', async () => {
    const r = await winback('customers', 'erase', 'usr-42', '--api', 'not a url');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--api must be a URL');
  });
});
