import { createHash } from 'node:crypto';

/**
 * Deterministic ids and the normalisations they rest on: the eventId of every stored fact comes
 * only from the producer's own ids, so the same fact delivered twice becomes the same key.
 */
export interface NormalizeContext {
  readonly receivedAt: string;
  readonly source: string;
}

export const toUtc = (iso: string): string => new Date(iso).toISOString();

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Stable JSON (sorted keys), so a message without a messageId still hashes to one id. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const anonymousCustomerId = (anonymousId: string): string => `anon:${anonymousId}`;
/** Mail to an address winback cannot tie to a customer is kept under a pseudonymous id. */
export const emailCustomerId = (email: string): string => `email:${sha256(normalizeEmail(email)).slice(0, 24)}`;
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

