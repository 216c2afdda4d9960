/**
 * Keys of what stays after an erasure (issue 12), beside functions/store/keys.ts: each is keyed
 * by a keyed hash (store/privacy-hash.ts), never by an address or an id.
 */

/** A suppression kept after its address was erased: pk by the address's keyed hash, sk as suppressionSk. */
export const hashedSuppressionPk = (emailHash: string): string => `SUPPH#${emailHash}`;
/** Erasure tombstones: one item per erased customer id (sk = its keyed hash), read by the training job. */
export const ERASED_PK = 'ERASED';
/** Receipts of carried-out compliance requests (sk = the request's keyed hash). */
export const COMPLIANCE_DONE_PK = 'COMPLIANCE_DONE';
