import { getSuppressions } from '../../../functions/store/suppression.js';
import { signToken, verifyToken, type TokenClaims } from '../../../functions/campaigns/tokens.js';
import { unsubscribeSecret } from '../../../functions/campaigns/secrets.js';
import type { Scenario } from './scenario.js';

/**
 * Forged unsubscribe links: mutations of genuine tokens (bit flips of the decoded bytes, one
 * character replaced, truncations, a payload or signature taken from another customer's or
 * another campaign's link) must all be refused; and GET, which mail scanners follow, never
 * changes anything (RFC 8058: only the one-click POST unsubscribes).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** GETs of genuine links: 100 at full volume, fewer in a quick run. */
const getChecks = (operations: number): number => Math.min(100, Math.max(5, Math.ceil(operations / 10_000)));

export const unsubscribeTokenMutation: Scenario = {
  name: 'unsubscribe-token-mutation',
  volume: 1_000_000,
  guarantee: 'a forged or altered unsubscribe link changes nothing, and following a link (GET) never unsubscribes',
  async run({ stack, operations, random }) {
    const secret = unsubscribeSecret();
    const now = new Date();
    const exp = Math.floor(now.getTime() / 1000) + 86_400;
    const genuine: Array<{ token: string; claims: TokenClaims }> = [];
    for (let i = 0; i < 50; i++) {
      const claims: TokenClaims = { customerId: `mut-${i}`, email: `mut-${i}@example.com`, topic: 'marketing', campaignId: `campaign-${i % 5}`, exp };
      genuine.push({ token: signToken(claims, { secret }), claims });
    }
    const tokens = new Set(genuine.map((g) => g.token));
    let accepted = 0;
    let tried = 0;
    const kinds = { bitflip: 0, character: 0, truncation: 0, splice: 0 };
    const attempt = (candidate: string): void => {
      if (tokens.has(candidate)) return;
      tried++;
      try {
        verifyToken(candidate, { secret, now });
        accepted++;
      } catch {
        // refused, as it must be
      }
    };
    while (tried < operations) {
      const g = genuine[Math.floor(random() * genuine.length)]!;
      const [payload, signature] = g.token.split('.') as [string, string];
      const kind = Math.floor(random() * 4);
      if (kind === 0) {
        const part = random() < 0.5 ? 0 : 1;
        const bytes = Buffer.from(part === 0 ? payload : signature, 'base64url');
        const bit = Math.floor(random() * bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const text = bytes.toString('base64url');
        attempt(part === 0 ? `${text}.${signature}` : `${payload}.${text}`);
        kinds.bitflip++;
      } else if (kind === 1) {
        const text = `${payload}.${signature}`;
        const at = Math.floor(random() * text.length);
        const c = ALPHABET[Math.floor(random() * ALPHABET.length)]!;
        attempt(text.slice(0, at) + c + text.slice(at + 1));
        kinds.character++;
      } else if (kind === 2) {
        const text = `${payload}.${signature}`;
        attempt(text.slice(0, Math.floor(random() * text.length)));
        kinds.truncation++;
      } else {
        const other = genuine[Math.floor(random() * genuine.length)]!;
        const [otherPayload, otherSignature] = other.token.split('.') as [string, string];
        attempt(random() < 0.5 ? `${otherPayload}.${signature}` : `${payload}.${otherSignature}`);
        kinds.splice++;
      }
    }
    // GET of genuine links (what a scanner does): a confirmation page, no state change.
    let changedByGet = 0;
    for (let i = 0; i < getChecks(operations); i++) {
      const g = genuine[i % genuine.length]!;
      const res = await fetch(`${stack.apiUrl}/unsubscribe?token=${g.token}`);
      await res.arrayBuffer();
      if ((await getSuppressions(stack.tableName, g.claims.email)).length > 0) changedByGet++;
    }
    return { operations: tried, lost: 0, duplicated: 0, violations: accepted + changedByGet, notes: { ...kinds, getChecks: getChecks(operations) } };
  },
};
