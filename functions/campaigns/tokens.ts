import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InvalidTokenError } from './errors.js';
import { unsubscribeSecret } from './secrets.js';

/**
 * Unsubscribe / preference tokens: `base64url(sealed claims).base64url(HMAC-SHA256(secret, payload))`.
 * They carry who (customer id and the address mailed, so an unsubscribe suppresses exactly that
 * address), which topic, which campaign, and an expiry. No cookies, no login: the signature is the
 * authentication. Anything forged, altered, truncated or expired throws InvalidTokenError.
 *
 * The claims are sealed with AES-256-GCM under a key derived from the same secret, because links
 * travel through places that log URLs (proxies, access logs, browser history) and the address in
 * them is personal data. The IV is derived from the claims (deterministic, SIV-style), so one
 * message's links are stable; the same claims always give the same token.
 */
export interface TokenClaims {
  readonly customerId: string;
  readonly email: string;
  /** Consent topic; '*' means every marketing topic. */
  readonly topic: string;
  readonly campaignId?: string;
  /** The variant the mail carried, so unsubscribes can be counted per variant. */
  readonly variant?: string;
  /** Expiry, epoch seconds; absent: never expires. */
  readonly exp?: number;
}

const Payload = z.strictObject({
  v: z.literal(1),
  c: z.string().min(1),
  e: z.string().min(3),
  t: z.string().min(1),
  k: z.string().optional(),
  r: z.string().optional(),
  x: z.number().int().optional(),
});

const sign = (payload: string, secret: string): Buffer => createHmac('sha256', secret).update(`winback-unsubscribe-v1.${payload}`).digest();
const sealKey = (secret: string): Buffer => createHmac('sha256', secret).update('winback-unsubscribe-seal-v1').digest();
const IV_BYTES = 12;
const TAG_BYTES = 16;

function seal(json: string, secret: string): string {
  const key = sealKey(secret);
  const iv = createHmac('sha256', key).update(json).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

function unseal(payload: string, secret: string): string {
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new InvalidTokenError('the link is malformed', 'malformed');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), bytes.subarray(0, IV_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
}

export function signToken(claims: TokenClaims, opts: { secret?: string } = {}): string {
  const secret = opts.secret ?? unsubscribeSecret();
  const payload = seal(
    JSON.stringify({
      v: 1,
      c: claims.customerId,
      e: claims.email,
      t: claims.topic,
      ...(claims.campaignId !== undefined ? { k: claims.campaignId } : {}),
      ...(claims.variant !== undefined ? { r: claims.variant } : {}),
      ...(claims.exp !== undefined ? { x: Math.floor(claims.exp) } : {}),
    }),
    secret,
  );
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

export function verifyToken(token: string, opts: { secret?: string; now?: Date } = {}): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || !/^[A-Za-z0-9_-]+$/.test(parts[0] + parts[1])) {
    throw new InvalidTokenError('the link is malformed', 'malformed');
  }
  const [payload, signature] = parts as [string, string];
  // base64url leaves the low bits of the last character unused: 'AB' and 'AC' could decode alike.
  // Only the one encoding winback writes is accepted, so each link has exactly one spelling.
  if (!isCanonicalBase64url(payload) || !isCanonicalBase64url(signature)) {
    throw new InvalidTokenError('the link is malformed', 'malformed');
  }
  const secret = opts.secret ?? unsubscribeSecret();
  const expected = sign(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('the link is not valid (signature mismatch)', 'signature');
  }
  let claims: z.infer<typeof Payload>;
  try {
    claims = Payload.parse(JSON.parse(unseal(payload, secret)));
  } catch {
    throw new InvalidTokenError('the link is malformed', 'malformed');
  }
  const now = (opts.now ?? new Date()).getTime() / 1000;
  if (claims.x !== undefined && claims.x < now) throw new InvalidTokenError('the link has expired', 'expired');
  return {
    customerId: claims.c,
    email: claims.e,
    topic: claims.t,
    ...(claims.k !== undefined ? { campaignId: claims.k } : {}),
    ...(claims.r !== undefined ? { variant: claims.r } : {}),
    ...(claims.x !== undefined ? { exp: claims.x } : {}),
  };
}

function isCanonicalBase64url(text: string): boolean {
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}

/**
 * A short, stable id of a token, the idempotency key of what the token does. It is taken from the
 * sealed claims (deterministic per claims), not from the signature text, so no other spelling of
 * the same link can count as a second unsubscribe.
 */
export function tokenId(token: string): string {
  const payload = token.split('.')[0] ?? token;
  return createHash('sha256').update(`winback-token-id-v2.${payload}`).digest('base64url').slice(0, 22);
}

export interface UnsubscribeLinks {
  readonly token: string;
  /** The RFC 8058 one-click URL (List-Unsubscribe); GET shows a confirmation page, POST unsubscribes. */
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
}

/** Signed links for one message; `baseUrl` is PUBLIC_BASE_URL, `ttlDays` UNSUBSCRIBE_TOKEN_DAYS. */
export function unsubscribeLinks(
  claims: Omit<TokenClaims, 'exp'>,
  opts: { baseUrl: string; now: Date; ttlDays: number; secret?: string },
): UnsubscribeLinks {
  const exp = Math.floor(opts.now.getTime() / 1000) + opts.ttlDays * 86_400;
  const token = signToken({ ...claims, exp }, opts.secret !== undefined ? { secret: opts.secret } : {});
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    token,
    unsubscribeUrl: `${base}/unsubscribe?token=${token}`,
    preferencesUrl: `${base}/preferences?token=${token}`,
  };
}
