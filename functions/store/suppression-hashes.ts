import { normalizeEmail } from '../../kernel/ids.js';
import type { Item, WriteRequest } from './batch.js';
import { hashedSuppressionPk } from './privacy-keys.js';
import { privacyHash } from './privacy-hash.js';

/**
 * Suppressions outlive an erasure: the address must stay unmailable (a complaint or an
 * unsubscribe is the person's standing instruction), but the address itself must go. The entry is
 * kept under a keyed hash of the normalised address, with its reason and date and nothing else;
 * a send checks both keys (store/suppression.ts).
 */
export function hashedSuppressionWrites(key: string, suppressionItems: readonly Item[]): WriteRequest[] {
  return suppressionItems.map((item) => {
    const email = String(item['pk']).slice('SUPP#'.length);
    return {
      PutRequest: {
        Item: {
          pk: hashedSuppressionPk(privacyHash(key, 'email', normalizeEmail(email))),
          sk: String(item['sk']),
          reason: String(item['reason']),
          at: String(item['at']),
          eventId: 'erased',
        },
      },
    };
  });
}

export function hashedSuppressionKey(key: string, email: string): string {
  return hashedSuppressionPk(privacyHash(key, 'email', normalizeEmail(email)));
}
