import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { matchesAudience, type Audience } from '../campaigns/definition/audience.js';
import { batchGet } from '../store/batch.js';
import { churnBand } from '../../kernel/churn-band.js';
import { audienceIndexPage } from '../store/audience-index.js';
import { customerPk, CUSTOMER_SHARDS, SCORE_SK } from '../store/keys.js';
import { getProfile } from '../store/profiles.js';
import { itemToScore } from '../store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { factsFrom, type CustomerFacts } from './customer-facts.js';
import type { AudienceSource } from './journey-state.js';

/**
 * Audiences of schedule and segment campaigns. Members come from the audience index that scoring
 * writes (gsi1 `TIER#<tier>`, sorted by churn band, so a tier + churn range is one Query per
 * tier), or, when the campaign does not restrict tiers, from the customer registry's 16 shards
 * (gsi1 `CUSTOMERS#00..15`). Either way each member is then checked against every audience
 * filter (stage, bands, traits, days since the last order) on its current facts.
 */
export function audienceSources(audience: Audience): AudienceSource[] {
  if (audience.tiers) {
    const minBand = churnBand(audience.churn?.min ?? 0);
    // A max of 1.0 is band 99 (the top band); 0.65 is band 65, which holds 0.650..0.659: the filter trims it.
    const maxBand = churnBand(audience.churn?.max ?? 1);
    return audience.tiers.map((tier) => ({ kind: 'tier', tier, minBand, maxBand }));
  }
  return Array.from({ length: CUSTOMER_SHARDS }, (_, shard) => ({ kind: 'shard', shard }));
}

export interface AudiencePage {
  readonly members: CustomerFacts[];
  /** Members the filters excluded, by the first filter that excluded them. */
  readonly excluded: Record<string, number>;
  readonly cursor?: string;
}

/** One page of a source: its members that pass the audience filters, and a cursor if more remain. */
export async function audiencePage(
  table: string,
  campaign: CampaignDefinition,
  source: AudienceSource,
  now: Date,
  opts: { cursor?: string; limit?: number } = {},
): Promise<AudiencePage> {
  const page = await audienceIndexPage(table, source, { ...(opts.cursor ? { cursor: opts.cursor } : {}), limit: opts.limit ?? 250 });
  const items = page.items;
  let scores: Map<string, CustomerScore>;
  if (source.kind === 'tier') {
    scores = new Map(items.map((i) => [String(i['customerId']), itemToScore(i)]));
  } else {
    const ids = items.map((i) => String(i['customerId']));
    const scoreItems = ids.length ? await batchGet(table, ids.map((id) => ({ pk: customerPk(id), sk: SCORE_SK })), false) : [];
    scores = new Map(scoreItems.map((i) => [String(i['customerId']), itemToScore(i)]));
  }
  const ids = items.map((i) => String(i['customerId']));
  const needProfile = campaign.audience.traits !== undefined || campaign.audience.group !== undefined;
  const members: CustomerFacts[] = [];
  const excluded: Record<string, number> = {};
  for (const id of ids) {
    const profile = needProfile ? await getProfile(table, id) : undefined;
    const facts = factsFrom(id, profile, scores.get(id), now);
    const verdict = matchesAudience(campaign.audience, facts);
    if (verdict.match) members.push(facts);
    else {
      excluded[verdict.group] = (excluded[verdict.group] ?? 0) + 1;
    }
  }
  return { members, excluded, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/** Every member of a campaign's audience (dry runs and the CLI; the fan-out pages instead). */
export async function resolveAudience(table: string, campaign: CampaignDefinition, now: Date): Promise<AudiencePage> {
  const members: CustomerFacts[] = [];
  const excluded: Record<string, number> = {};
  for (const source of audienceSources(campaign.audience)) {
    let cursor: string | undefined;
    do {
      const page = await audiencePage(table, campaign, source, now, { ...(cursor ? { cursor } : {}), limit: 500 });
      members.push(...page.members);
      for (const [k, v] of Object.entries(page.excluded)) excluded[k] = (excluded[k] ?? 0) + v;
      cursor = page.cursor;
    } while (cursor);
  }
  return { members, excluded };
}
