import { batchWrite, type WriteRequest } from './batch.js';
import { campaignPk, tierSnapshotSk, TIER_SNAPSHOT_SK_PREFIX } from './keys.js';
import { queryPrefix } from './query.js';

/**
 * The tier a tier-upgrade campaign last saw per customer (`CAMPAIGN#<id>` / `TIERSEEN#<customer>`):
 * score items carry the current tier only, so an upgrade is a higher tier than the one seen here.
 */
export interface TierSighting {
  readonly customerId: string;
  readonly tier: string;
  readonly scoredAt: string;
}

export async function tiersSeen(table: string, campaignId: string): Promise<Map<string, TierSighting>> {
  const items = await queryPrefix(table, campaignPk(campaignId), TIER_SNAPSHOT_SK_PREFIX);
  return new Map(
    items.map((i) => [String(i['customerId']), { customerId: String(i['customerId']), tier: String(i['tier']), scoredAt: String(i['scoredAt']) }]),
  );
}

export async function saveTierSightings(table: string, campaignId: string, sightings: readonly TierSighting[]): Promise<void> {
  const writes: WriteRequest[] = sightings.map((s) => ({ PutRequest: { Item: { pk: campaignPk(campaignId), sk: tierSnapshotSk(s.customerId), ...s } } }));
  await batchWrite(table, writes);
}
