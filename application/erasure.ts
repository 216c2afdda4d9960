import { localAdminKey } from '../functions/privacy/admin-auth.js';
import { exportCustomer, type CustomerExport } from '../functions/privacy/customer-export.js';
import type { ErasureResult } from '../functions/store/erasure.js';
import { WinbackError } from '../kernel/errors.js';
import { signedJsonPost, type SigningOptions } from './sigv4.js';

/**
 * Erasure and access requests as the CLI and the console make them. Erasure always goes through
 * the privacy API (POST /v1/erasure) of the stack that holds the data, because the process that
 * serves it is the one that can also remove its local copies (LevelDB files, queue journal,
 * inbox); an export only reads the table, so it reads it directly.
 */
export class ErasureRequestError extends WinbackError {}

/**
 * Where the privacy API is and how to prove the caller may use it: the local stack's admin key
 * (functions/privacy/admin-auth.ts, from the data dir's secret), or, for a deployed stack behind
 * API Gateway's IAM authorizer, a SigV4 signature with the default credential chain's identity.
 */
export type ErasureTarget =
  | { readonly apiUrl: string; readonly unsubscribeSecret: string }
  | { readonly apiUrl: string; readonly sigv4: SigningOptions };

async function postPrivacy(target: ErasureTarget, route: string, payload: unknown): Promise<string> {
  // Relative to the URL's path: a deployed API's URL may carry a stage (…/prod/).
  const base = target.apiUrl.endsWith('/') ? target.apiUrl : `${target.apiUrl}/`;
  const url = new URL(route.replace(/^\//, ''), base);
  const body = JSON.stringify(payload);
  const auth = 'sigv4' in target ? await signedJsonPost(url, body, target.sigv4) : { authorization: `Bearer ${localAdminKey(target.unsubscribeSecret)}` };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
    } catch {
      // Not JSON: the text itself says what went wrong.
    }
    throw new ErasureRequestError(`${route} refused by ${target.apiUrl} (HTTP ${res.status}): ${message}`);
  }
  return text;
}

/**
 * One request per customer: an erasure Scans the table for what points at the customer, which on
 * a large table takes seconds per customer, and a request must end within the API's timeout
 * (30 s locally as in Lambda here; API Gateway's 30 s in AWS). Ten customers in one request on a
 * table of ~100,000 events ran out of it in bench:faults.
 */
export async function requestErasure(target: ErasureTarget, customerIds: readonly string[]): Promise<ErasureResult[]> {
  const results: ErasureResult[] = [];
  for (const id of customerIds) {
    results.push(...(JSON.parse(await postPrivacy(target, '/v1/erasure', { customerIds: [id] })) as { erased: ErasureResult[] }).erased);
  }
  return results;
}

/** An access request through the privacy API (a deployed stack: the CLI reads a local table directly). */
export async function requestExport(target: ErasureTarget, customerId: string): Promise<CustomerExport> {
  return JSON.parse(await postPrivacy(target, '/v1/erasure/export', { customerId })) as CustomerExport;
}

export function customerExport(table: string, customerId: string): Promise<CustomerExport> {
  return exportCustomer(table, customerId);
}
