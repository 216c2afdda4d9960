import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * What keeps web pages out of the local stack. Everything listens on 127.0.0.1, but a browser on
 * the same machine can still reach it: a page on any site can send requests to a loopback port,
 * and with DNS rebinding (its own host name re-pointed at 127.0.0.1) it can even read the
 * answers, since the browser then sees them as same-origin. The browser always names the page's
 * host in `Host` and, for cross-origin requests and every POST, the page's origin in `Origin`; the
 * SDKs and CLI send loopback hosts and no Origin. So:
 *  - the API and console answer only loopback `Host` names (DNS rebinding is refused with 421);
 *  - the emulators (DynamoDB, SQS, SES) also refuse any request with an Origin not their own, CORS
 *    preflights, and (DynamoDB, SQS) requests not signed with the local credentials.
 */

/** Host names the local HTTP runtime answers to, with any port (an ssh tunnel may change it). */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The host name of a Host header value (`name[:port]`), lower-cased; undefined if malformed. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

export function isLoopbackHost(host: string | undefined): boolean {
  const name = hostName(host);
  return name !== undefined && LOOPBACK_NAMES.has(name);
}

/** The emulators also answer `*.localhost` (fauxqs names queues http://sqs.<region>.localhost:<port>/...). */
function isLoopbackEmulatorHost(host: string | undefined): boolean {
  const name = hostName(host);
  return name !== undefined && (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost'));
}

/**
 * For the local HTTP runtime (API and console): answers 421 and returns true when the request
 * names a host other than the loopback ones, which is what a DNS-rebinding page sends.
 */
export function refuseForeignHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (isLoopbackHost(req.headers.host)) return false;
  const body = JSON.stringify({ message: 'Misdirected Request: the local stack answers only 127.0.0.1, localhost and [::1]' });
  res.writeHead(421, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
  return true;
}

/**
 * `sdk`: only the AWS SDK's requests signed with the local credentials (DynamoDB, SQS).
 * `inbox`: the SES emulator, whose inbox page the developer opens: same-origin browser requests too.
 */
export type EmulatorPolicy = 'sdk' | 'inbox';

export interface EmulatorRequest {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** Why a request to an emulator is refused, or undefined to let it through. */
export function emulatorRefusal(req: EmulatorRequest, policy: EmulatorPolicy, accessKeyId: string): string | undefined {
  const host = req.headers.host;
  if (!isLoopbackEmulatorHost(host)) return 'the Host is not a loopback name';
  if ((req.method ?? 'GET').toUpperCase() === 'OPTIONS') return 'CORS preflights are refused';
  const origin = req.headers.origin;
  if (origin !== undefined && !(policy === 'inbox' && isSameOrigin(origin, host))) return 'browser requests from other origins are refused';
  if (policy === 'sdk' && !signedWith(req.headers.authorization, accessKeyId)) return 'requests must be signed with the local credentials';
  return undefined;
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && url.host === host?.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * A SigV4 Authorization header for the local access key. The secret is a public constant, so
 * checking the signature itself would keep out nobody the header check does not: what matters is
 * that a browser cannot send an Authorization header to another origin without a preflight, and
 * preflights are refused.
 */
function signedWith(authorization: string | undefined, accessKeyId: string): boolean {
  return authorization !== undefined && authorization.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`);
}

/** Puts the guard in front of a node:http server's own request handler (dynalite, aws-ses-v2-local). */
export function guardEmulatorServer(server: Server, policy: EmulatorPolicy, accessKeyId: string): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = emulatorRefusal(req, policy, accessKeyId);
    if (refusal) {
      writeRefusal(res, refusal);
      return;
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
}

export function writeRefusal(res: ServerResponse, reason: string): void {
  const body = JSON.stringify({ message: `Forbidden: ${reason}` });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}
