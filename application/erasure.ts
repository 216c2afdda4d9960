import { localAdminKey } from '../functions/privacy/admin-auth.js';
import { exportCustomer, type CustomerExport } from '../functions/privacy/customer-export.js';
import type { ErasureResult } from '../functions/store/erasure.js';
import { WinbackError } from '../kernel/errors.js';

/**
 * Erasure and access requests as the CLI and the console make them. Erasure always goes through
 * the privacy API (POST /v1/erasure) of the stack that holds the data, because the process that
 * serves it is the one that can also remove its local copies (LevelDB files, queue journal,
 * inbox); an export only reads the table, so it reads it directly.
 */
export class ErasureRequestError extends WinbackError {}

export interface ErasureTarget {
  readonly apiUrl: string;
  /** The local stack's admin key (functions/privacy/admin-auth.ts), from the data dir's secret. */
  readonly unsubscribeSecret: string;
}

export async function requestErasure(target: ErasureTarget, customerIds: readonly string[]): Promise<ErasureResult[]> {
  const res = await fetch(new URL('/v1/erasure', target.apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${localAdminKey(target.unsubscribeSecret)}` },
    body: JSON.stringify({ customerIds }),
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
    throw new ErasureRequestError(`erasure refused by ${target.apiUrl} (HTTP ${res.status}): ${message}`);
  }
  return (JSON.parse(text) as { erased: ErasureResult[] }).erased;
}

export function customerExport(table: string, customerId: string): Promise<CustomerExport> {
  return exportCustomer(table, customerId);
}
