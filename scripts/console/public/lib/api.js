import { authHeaders, onUnauthorized } from './auth.js';

/** The console's JSON API (same origin: the local stack, or the CloudFront distribution in AWS). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

async function call(path, init) {
  const res = await fetch(`/console/api${path}`, { ...init, headers: { accept: 'application/json', ...authHeaders(), ...init.headers } });
  const body = await res.json().catch(() => null);
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function getJson(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  return call(`${path}${params.size ? `?${params}` : ''}`, { method: 'GET' });
}

/**
 * A state-changing call. JSON body, same origin: the local server refuses a write that is not
 * (scripts/console/csrf.ts); in AWS it also needs the editors' group.
 */
export async function postJson(path, body = {}) {
  return call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
}

export const enc = encodeURIComponent;
