import { createHash } from 'node:crypto';
import { ValidationError } from '../../kernel/errors.js';

/**
 * Sticky, deterministic holdout / variant assignment: a hash of (campaign, customer) gives two
 * independent uniform numbers in [0, 1); the first decides holdout vs treatment, the second the
 * variant by weight. No state and no randomness: re-runs, retries and re-entries of the same
 * customer land in the same group and variant, on any machine.
 *
 * Holdout customers also get a variant (the one they would have received), so outcomes can be
 * compared per variant as well as overall. Changing the holdout share moves only the customers
 * whose bucket lies between the old and new share; changing weights moves only some variants.
 */
export type Group = 'holdout' | 'treatment';

export interface Assignment {
  readonly group: Group;
  readonly variant: string;
  /** The holdout bucket in [0, 1) (holdout when below the share); for reports and debugging. */
  readonly bucket: number;
}

const TWO_POW_48 = 2 ** 48;

/** Two uniform numbers in [0, 1) from SHA-256 of the pair (48 bits each). */
export function uniformBuckets(campaignId: string, customerId: string): [number, number] {
  const digest = createHash('sha256').update(`winback-assignment\u0000${campaignId}\u0000${customerId}`).digest();
  return [digest.readUIntBE(0, 6) / TWO_POW_48, digest.readUIntBE(6, 6) / TWO_POW_48];
}

export function assignGroup(
  campaignId: string,
  customerId: string,
  holdoutShare: number,
  variants: ReadonlyArray<{ readonly id: string; readonly weight: number }>,
): Assignment {
  if (!(holdoutShare >= 0 && holdoutShare < 1)) throw new ValidationError(`holdout share must be in [0, 1), got ${holdoutShare}`, 'holdout');
  if (variants.length === 0) throw new ValidationError('at least one variant is needed', 'variants');
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (!(total > 0) || variants.some((v) => !(v.weight > 0))) throw new ValidationError('variant weights must be above 0', 'variants');
  const [holdoutBucket, variantBucket] = uniformBuckets(campaignId, customerId);
  let cumulative = 0;
  let variant = variants[variants.length - 1]!.id;
  for (const v of variants) {
    cumulative += v.weight / total;
    if (variantBucket < cumulative) {
      variant = v.id;
      break;
    }
  }
  return { group: holdoutBucket < holdoutShare ? 'holdout' : 'treatment', variant, bucket: holdoutBucket };
}
