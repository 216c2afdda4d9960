import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Config } from '../commons/config.js';
import { AuthenticationError, OriginNotAllowedError, PayloadTooLargeError, ValidationError } from '../../kernel/errors.js';

/** Body bytes of an API Gateway v2 event, gunzipped when the client sent Content-Encoding: gzip. */
export function bodyBytes(event: APIGatewayProxyEventV2, limit: number): Buffer {
  const raw = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > limit) throw new PayloadTooLargeError(limit, raw.length);
  const encoding = header(event, 'content-encoding')?.toLowerCase();
  if (encoding !== 'gzip') return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: limit + 1 });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(limit, limit + 1);
    }
    throw new ValidationError('body is not valid gzip', '(body)', [], { cause: error });
  }
}

export function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new ValidationError('body is empty; expected a JSON object', '(body)');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`malformed JSON: ${(error as Error).message}`, '(body)', [], { cause: error });
  }
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** The write key from HTTP Basic auth (Segment's scheme: the key is the user name, no password). */
export function writeKeyFromHeader(event: APIGatewayProxyEventV2): string | undefined {
  const auth = header(event, 'authorization');
  if (!auth) return undefined;
  const [scheme, value] = auth.split(' ', 2);
  if (scheme?.toLowerCase() !== 'basic' || !value) throw new AuthenticationError('Authorization must be HTTP Basic with the write key as user name');
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/** The source a write key belongs to; the body's writeKey is accepted as Segment's libraries also send it there. */
export function authenticate(
  keys: Readonly<Record<string, string>>,
  headerKey: string | undefined,
  bodyKey?: unknown,
): string {
  const key = headerKey ?? (typeof bodyKey === 'string' ? bodyKey : undefined);
  if (!key) throw new AuthenticationError('missing write key: send it as the HTTP Basic auth user name');
  const source = Object.hasOwn(keys, key) ? keys[key] : undefined;
  if (!source) throw new AuthenticationError('unknown write key');
  return source;
}

/**
 * Refuses a browser request (it names its page's `Origin`) from an origin the write key is not
 * allowed on. Keys without a list are allowed everywhere; requests without Origin (servers,
 * SDKs) are not concerned: origin checks only mean something for pages in browsers.
 */
export function checkOrigin(
  allowed: Readonly<Record<string, readonly string[]>>,
  key: string | undefined,
  origin: string | undefined,
): void {
  if (origin === undefined || key === undefined || !Object.hasOwn(allowed, key)) return;
  const wanted = origin.replace(/\/+$/, '').toLowerCase();
  if (allowed[key]!.some((o) => o === '*' || o.toLowerCase() === wanted)) return;
  throw new OriginNotAllowedError('this write key may not be used from this origin');
}

/**
 * The body and the source of an authenticated request. A key in the Authorization header is
 * checked before the body is read, so unauthenticated callers cost nothing; the body's `writeKey`
 * is accepted too, as Segment's libraries also send it there.
 */
export function readAuthenticated(event: APIGatewayProxyEventV2, config: Config): { body: unknown; source: string } {
  const headerKey = writeKeyFromHeader(event);
  const keys = config.WRITE_KEYS;
  const early = headerKey !== undefined ? authenticate(keys, headerKey) : undefined;
  const body = parseJson(bodyBytes(event, config.MAX_BODY_BYTES));
  const bodyKey = (body as { writeKey?: unknown } | null)?.writeKey;
  const source = early ?? authenticate(keys, undefined, bodyKey);
  checkOrigin(config.WRITE_KEY_ORIGINS, headerKey ?? (typeof bodyKey === 'string' ? bodyKey : undefined), header(event, 'origin'));
  return { body, source };
}
