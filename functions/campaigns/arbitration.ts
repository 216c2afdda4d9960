import { arbitrate, type Arbitration, type Bid } from '../../models/targeting.js';
import { factsFrom, type CustomerFacts } from '../journeys/customer-facts.js';
import { getProfile } from '../store/profiles.js';
import { matchesAudience } from './definition/audience.js';
import { validateCampaigns } from './definition/load.js';
import type { CampaignDefinition } from './definition/schema.js';
import { bidValue, needsUplift, NoUpliftModelError, scoreMembers, type UpliftSource } from './targeting.js';

/**
 * Arbitration between targeted campaigns that want the same customer. Contenders are the other
 * active, targeted campaigns of the campaigns directory: the frequency cap lets a customer be
 * mailed a few times a week, and every targeted campaign runs on a schedule within such a window,
 * so any two of them may compete. A contender wants a customer who is in its audience and, when
 * it targets by expected value, has a positive one (and a positive ladder step, with a ladder).
 *
 * Every campaign computes the same bids from the same scores and definitions, so the winner is
 * the same whichever campaign's run asks, without a lock or a shared record. The decision does
 * not look at the holdout: a customer lost to another campaign is left out of this campaign's
 * run in both groups alike, which keeps its holdout comparison randomized.
 *
 * Arbitration comes before each campaign's top/count cut: a contender wants the customer if it
 * would rank them at all. A customer won by a campaign whose cut later drops them gets nothing
 * from either (a gap, not a second choice); the record says who won and who came second.
 */
export async function contenderCampaigns(dir: string, self: CampaignDefinition): Promise<CampaignDefinition[]> {
  const all = await validateCampaigns(dir);
  return all.flatMap((r) => (r.campaign && r.campaign.id !== self.id && r.campaign.status === 'active' && r.campaign.targeting && !r.campaign.transactional ? [r.campaign] : []));
}

export interface ArbitrationContext {
  readonly table: string;
  readonly now: Date;
  /** The uplift champion, loaded on first use; rejects with NoUpliftModelError when there is none. */
  readonly uplift: () => Promise<UpliftSource>;
}

/** Each contender's bid per customer id (only the customers it wants). */
async function contenderBids(ctx: ArbitrationContext, contender: CampaignDefinition, members: readonly CustomerFacts[]): Promise<Map<string, number>> {
  const needProfile = contender.audience.traits !== undefined || contender.audience.group !== undefined;
  const inAudience: CustomerFacts[] = [];
  for (const m of members) {
    const facts = needProfile && !m.profile ? factsFrom(m.customerId, await getProfile(ctx.table, m.customerId), m.score, ctx.now) : m;
    if (matchesAudience(contender.audience, facts).match) inAudience.push(facts);
  }
  // Every campaign bids with the uplift champion when there is one (the same rule as the run's own bids).
  let uplift: UpliftSource | undefined;
  try {
    uplift = await ctx.uplift();
  } catch (error) {
    if (!(error instanceof NoUpliftModelError)) throw error;
    // A contender that needs an uplift model cannot run without one: it bids for nobody.
    if (needsUplift(contender)) return new Map();
  }
  const bids = new Map<string, number>();
  for (const s of await scoreMembers(contender, inAudience, uplift)) {
    if (!('candidate' in s)) continue;
    const value = bidValue(s.candidate);
    if (contender.targeting?.by === 'expected-value' && !(value > 0)) continue;
    bids.set(s.candidate.customerId, value);
  }
  return bids;
}

/**
 * The decision per customer for `self`'s candidates (with `self`'s own bids): the winner and the
 * runner-up, when at least one contender wanted the customer too.
 */
export async function arbitrateMembers(
  ctx: ArbitrationContext,
  selfBids: ReadonlyMap<string, { readonly facts: CustomerFacts; readonly value: number }>,
  selfId: string,
  contenders: readonly CampaignDefinition[],
): Promise<Map<string, Arbitration>> {
  const members = [...selfBids.values()].map((b) => b.facts);
  const others = await Promise.all(contenders.map(async (c) => ({ id: c.id, bids: await contenderBids(ctx, c, members) })));
  const out = new Map<string, Arbitration>();
  for (const [customerId, own] of selfBids) {
    const bids: Bid[] = [{ campaignId: selfId, value: own.value }];
    for (const o of others) {
      const v = o.bids.get(customerId);
      if (v !== undefined) bids.push({ campaignId: o.id, value: v });
    }
    if (bids.length > 1) out.set(customerId, arbitrate(bids)!);
  }
  return out;
}
