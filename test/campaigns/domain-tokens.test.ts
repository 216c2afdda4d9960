import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../functions/campaigns/errors.js';
import { signToken, tokenId, unsubscribeLinks, verifyToken } from '../../functions/campaigns/tokens.js';

const secret = 'test-unsubscribe-secret-0123456789abcdef';
const claims = { customerId: 'c-1', email: 'ada@example.com', topic: 'marketing', campaignId: 'winback', variant: 'A' };
const now = new Date('2026-03-01T12:00:00Z');

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof InvalidTokenError ? error.reason : `other: ${String(error)}`;
  }
}

describe('unsubscribe tokens', () => {
  it('round-trips the claims', () => {
    const token = signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret });
    expect(verifyToken(token, { secret, now })).toEqual({ ...claims, exp: now.getTime() / 1000 + 60 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('keeps the address and ids out of the link: the claims are sealed, not just signed', () => {
    const token = signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret });
    const decoded = token.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1')).join(' ');
    for (const value of ['ada@example.com', 'ada', 'c-1', 'marketing', 'winback']) expect(decoded).not.toContain(value);
    // Deterministic: one message's links are stable.
    expect(signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret })).toBe(token);
  });

  it('rejects altered payloads, altered signatures, other secrets, expiry and garbage', () => {
    const token = signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret });
    const [payload, sig] = token.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ v: 1, c: 'c-2', e: 'eve@example.com', t: '*' })).toString('base64url');
    expect(reason(() => verifyToken(`${forgedPayload}.${sig}`, { secret, now }))).toBe('signature');
    const flipped = sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + sig.at(-1);
    expect(reason(() => verifyToken(`${payload}.${flipped}`, { secret, now }))).toBe('signature');
    expect(reason(() => verifyToken(token, { secret: `${secret}-other`, now }))).toBe('signature');
    expect(reason(() => verifyToken(token, { secret, now: new Date(now.getTime() + 61_000) }))).toBe('expired');
    expect(reason(() => verifyToken('not-a-token', { secret, now }))).toBe('malformed');
    expect(reason(() => verifyToken(`${payload}.${sig}.x`, { secret, now }))).toBe('malformed');
  });

  it('builds the one-click and preference links with a stable token id', () => {
    const links = unsubscribeLinks(claims, { baseUrl: 'https://mail.example.com/', now, ttlDays: 400, secret });
    expect(links.unsubscribeUrl).toBe(`https://mail.example.com/unsubscribe?token=${links.token}`);
    expect(links.preferencesUrl).toBe(`https://mail.example.com/preferences?token=${links.token}`);
    expect(verifyToken(links.token, { secret, now }).exp).toBe(now.getTime() / 1000 + 400 * 86_400);
    expect(tokenId(links.token)).toBe(tokenId(links.token));
    expect(tokenId(links.token)).not.toBe(tokenId(signToken(claims, { secret })));
  });

  it('accepts one spelling per link: the unused low bits of the last character cannot make variants', () => {
    const token = signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret });
    const [payload, sig] = token.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let accepted = 0;
    let sameBytes = 0;
    for (const part of ['payload', 'signature'] as const) {
      const text = part === 'payload' ? payload : sig;
      for (const c of alphabet) {
        const mutated = text.slice(0, -1) + c;
        if (mutated === text) continue;
        if (Buffer.from(mutated, 'base64url').equals(Buffer.from(text, 'base64url'))) sameBytes += 1;
        const variant = part === 'payload' ? `${mutated}.${sig}` : `${payload}.${mutated}`;
        if (reason(() => verifyToken(variant, { secret, now })) === undefined) accepted += 1;
      }
    }
    // The variants exist (same bytes, other text), and none of them is accepted.
    expect(sameBytes).toBeGreaterThan(0);
    expect(accepted).toBe(0);
  });

  it('keys what a token does by its claims, not by the spelling of its signature', () => {
    const token = signToken({ ...claims, exp: now.getTime() / 1000 + 60 }, { secret });
    const [payload, sig] = token.split('.') as [string, string];
    expect(tokenId(`${payload}.${sig.slice(0, -1)}x`)).toBe(tokenId(token));
  });
});
