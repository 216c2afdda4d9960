import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { matchesAudience, VALUE_TIERS } from '../campaigns/definition/audience.js';
import { matchesEvent } from '../campaigns/matchers.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { queryCustomerEvents } from '../store/events.js';
import { tierAudiencePk } from '../store/keys.js';
import { queryGsi1Partition } from '../store/query.js';
import { customerCrossingsBetween, queryCrossings, type CrossingRecord } from '../store/scores.js';
import { saveTierSightings, tiersSeen, type TierSighting } from '../store/tier-snapshots.js';
import { cronMatches, latestTick, parseCron } from './cron.js';
import { customerFacts } from './customer-facts.js';
import { customerEntries } from '../store/journey-entries.js';
import type { JourneyInput } from './journey-state.js';
import type { JourneyStarter } from './starter.js';
import { listAllCustomers } from '../jobs/customer-events.js';

/**
 * Triggers: turn what happened since the last sweep into journey starts. Every candidate's
 * trigger id is derived from the fact that caused it (a crossing's scoredAt, an event id, an
 * order id, a tier change's scoredAt, a schedule tick), so overlapping sweeps and retried ticks
 * ask for the same execution names and start nothing twice. The sweep runs on a schedule
 * (every 15 minutes in AWS) and looks back TRIGGER_LOOKBACK_MINUTES.
 */
export interface SweepContext {
  readonly table: string;
  readonly now: Date;
  readonly lookbackMs: number;
  readonly starter: JourneyStarter;
  /** Only list the candidates (CLI --dry-run): start nothing, write nothing. */
  readonly dryRun?: boolean;
}

export interface Candidate {
  readonly input: JourneyInput;
}

export interface SweepResult {
  readonly campaignId: string;
  readonly candidates: Candidate[];
  /** Facts that did not become candidates, by reason (audience filter, hysteresis, unless-event...). */
  readonly filtered: Record<string, number>;
  readonly started: number;
  readonly duplicates: number;
  /** Schedule campaigns: the fan-out run started for the latest tick, if any. */
  readonly fanoutRun?: string;
}

const count = (m: Record<string, number>, reason: string): void => {
  m[reason] = (m[reason] ?? 0) + 1;
};

const triggerSafe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** Every registered customer id (the 16 registry shards). An event sweep reads each one's recent events. */
const registeredCustomers = listAllCustomers;

async function inAudience(ctx: SweepContext, campaign: CampaignDefinition, customerId: string, filtered: Record<string, number>): Promise<boolean> {
  const a = campaign.audience;
  // Every filter, present and future (group, health...), counts: only an empty audience skips the lookup.
  const unrestricted = Object.values(a).every((v) => v === undefined);
  if (unrestricted) return true;
  const verdict = matchesAudience(a, await customerFacts(ctx.table, customerId, ctx.now));
  if (!verdict.match) count(filtered, verdict.group);
  return verdict.match;
}

/* ---- score crossings ---- */

function utcDays(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); t <= to.getTime(); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Hysteresis: after an entry, an up-crossing counts again only once the score has been below
 * threshold - hysteresis since that entry (down-crossings mirror it). The crossing's own previous
 * score counts, as does any crossing record since the last entry.
 */
async function armed(ctx: SweepContext, campaign: CampaignDefinition, c: CrossingRecord, rearm: (p: number) => boolean): Promise<boolean> {
  if (rearm(c.previousChurnProbability)) return true;
  const entries = await customerEntries(ctx.table, campaign.id, c.customerId);
  const last = entries[entries.length - 1];
  if (!last) return true;
  // An entry at or after this crossing was made by it or by a later one: nothing can have re-armed
  // the trigger in between (and the range below would be empty, which DynamoDB rejects).
  if (last.enteredAt >= c.scoredAt) return false;
  const history = await customerCrossingsBetween(ctx.table, c.customerId, last.enteredAt, c.scoredAt);
  return history.some((h) => rearm(h.churnProbability) || rearm(h.previousChurnProbability));
}

async function scoreCandidates(ctx: SweepContext, campaign: CampaignDefinition, filtered: Record<string, number>): Promise<Candidate[]> {
  const t = campaign.trigger;
  if (t.type !== 'score') return [];
  if (t.model !== 'churn') {
    // Scoring records crossings of the churn threshold only; propensity crossings have no feed yet.
    count(filtered, 'propensity crossings are not recorded');
    return [];
  }
  const from = new Date(ctx.now.getTime() - ctx.lookbackMs);
  const crossings: CrossingRecord[] = [];
  for (const day of utcDays(from, ctx.now)) crossings.push(...(await queryCrossings(ctx.table, day)));
  const crossed = (c: CrossingRecord): boolean =>
    t.direction === 'up'
      ? c.previousChurnProbability < t.threshold && c.churnProbability >= t.threshold
      : c.previousChurnProbability > t.threshold && c.churnProbability <= t.threshold;
  const rearm = (p: number): boolean => (t.direction === 'up' ? p < t.threshold - t.hysteresis : p > t.threshold + t.hysteresis);
  const out: Candidate[] = [];
  for (const c of crossings) {
    if (c.scoredAt <= from.toISOString() || c.scoredAt > ctx.now.toISOString()) continue;
    if (!crossed(c)) {
      count(filtered, `no ${t.direction}-crossing of ${t.threshold}`);
      continue;
    }
    if (!(await armed(ctx, campaign, c, rearm))) {
      count(filtered, 'hysteresis (not re-armed since the last entry)');
      continue;
    }
    if (!(await inAudience(ctx, campaign, c.customerId, filtered))) continue;
    out.push({
      input: {
        campaignId: campaign.id,
        customerId: c.customerId,
        triggerId: `score-${triggerSafe(c.scoredAt)}`,
        trigger: { type: 'score', at: c.scoredAt, detail: { churn: Number(c.churnProbability.toFixed(4)), tier: c.tier } },
      },
    });
  }
  return out;
}

/* ---- events, first orders ---- */

async function eventCandidates(ctx: SweepContext, campaign: CampaignDefinition, filtered: Record<string, number>): Promise<Candidate[]> {
  const t = campaign.trigger;
  if (t.type !== 'event' && t.type !== 'first-order') return [];
  const within = t.type === 'event' && t.unless ? t.unless.within : 0;
  // An event can only be judged once its `unless` window has passed: look at [now - lookback - within, now - within].
  const to = new Date(ctx.now.getTime() - within);
  const from = new Date(to.getTime() - ctx.lookbackMs);
  const out: Candidate[] = [];
  for (const customerId of await registeredCustomers(ctx.table)) {
    const recent = await queryCustomerEvents(ctx.table, customerId, { from: from.toISOString(), to: ctx.now.toISOString() });
    if (recent.length === 0) continue;
    const inWindow = (e: StoredEvent): boolean => e.timestamp >= from.toISOString() && e.timestamp < to.toISOString();
    if (t.type === 'event') {
      for (const e of recent.filter((x) => inWindow(x) && matchesEvent(t.event, x))) {
        const unless = t.unless;
        if (unless) {
          const until = new Date(Date.parse(e.timestamp) + unless.within).toISOString();
          const later = await queryCustomerEvents(ctx.table, customerId, { from: e.timestamp, to: until });
          const { within: _w, ...matcher } = unless;
          if (later.some((x) => x.eventId !== e.eventId && matchesEvent(matcher, x))) {
            count(filtered, `followed by ${unless.kind} ${unless.name} within the window`);
            continue;
          }
        }
        if (!(await inAudience(ctx, campaign, customerId, filtered))) continue;
        out.push({
          input: { campaignId: campaign.id, customerId, triggerId: `event-${triggerSafe(e.eventId)}`, trigger: { type: 'event', at: e.timestamp, detail: { event: e.name } } },
        });
      }
    } else {
      const placed = recent.filter((x) => inWindow(x) && x.kind === 'order' && x.name === 'placed').sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))[0];
      if (!placed) continue;
      const earlier = await queryCustomerEvents(ctx.table, customerId, { to: placed.timestamp });
      if (earlier.some((x) => x.kind === 'order' && x.name === 'placed')) {
        count(filtered, 'not the first order');
        continue;
      }
      if (!(await inAudience(ctx, campaign, customerId, filtered))) continue;
      const orderId = placed.order?.orderId ?? placed.eventId;
      out.push({
        input: { campaignId: campaign.id, customerId, triggerId: `first-order-${triggerSafe(orderId)}`, trigger: { type: 'first-order', at: placed.timestamp } },
      });
    }
  }
  return out;
}

/* ---- tier upgrades ---- */

const TIER_RANK: Record<string, number> = Object.fromEntries([...VALUE_TIERS].reverse().map((t, i) => [t, i]));

/**
 * Score items carry the current tier only, so the campaign keeps the tier it last saw per customer
 * (`CAMPAIGN#<id>` / `TIERSEEN#<customer>`): a higher tier than last seen is an upgrade. The first
 * sighting of a customer is a baseline, not an upgrade.
 */
async function tierCandidates(ctx: SweepContext, campaign: CampaignDefinition, filtered: Record<string, number>): Promise<Candidate[]> {
  const t = campaign.trigger;
  if (t.type !== 'tier-upgrade') return [];
  const seen = await tiersSeen(ctx.table, campaign.id);
  const out: Candidate[] = [];
  const sightings: TierSighting[] = [];
  for (const tier of VALUE_TIERS) {
    const items = await queryGsi1Partition(ctx.table, tierAudiencePk(tier));
    for (const item of items) {
      const customerId = String(item['customerId']);
      const scoredAt = String(item['scoredAt']);
      const before = seen.get(customerId);
      if (before?.tier === tier) continue;
      sightings.push({ customerId, tier, scoredAt });
      if (!before) {
        count(filtered, 'first sighting (baseline)');
        continue;
      }
      if ((TIER_RANK[tier] ?? 0) <= (TIER_RANK[before.tier] ?? 0)) {
        count(filtered, 'tier went down');
        continue;
      }
      if (t.to && t.to !== tier) {
        count(filtered, `upgrade to ${tier}, not ${t.to}`);
        continue;
      }
      if (!(await inAudience(ctx, campaign, customerId, filtered))) continue;
      out.push({
        input: {
          campaignId: campaign.id,
          customerId,
          triggerId: `tier-${tier}-${triggerSafe(scoredAt)}`,
          trigger: { type: 'tier-upgrade', at: scoredAt, detail: { from: before.tier, to: tier } },
        },
      });
    }
  }
  if (!ctx.dryRun) await saveTierSightings(ctx.table, campaign.id, sightings);
  return out;
}

/** Finds a campaign's candidates and (unless dry run) starts their journeys; schedule campaigns start a fan-out run. */
export async function sweepCampaign(ctx: SweepContext, campaign: CampaignDefinition): Promise<SweepResult> {
  const filtered: Record<string, number> = {};
  if (campaign.status !== 'active') return { campaignId: campaign.id, candidates: [], filtered: { [`campaign ${campaign.status}`]: 1 }, started: 0, duplicates: 0 };
  if (campaign.trigger.type === 'schedule') {
    const cron = parseCron(campaign.trigger.cron, campaign.trigger.timezone ?? 'UTC');
    const tick = latestTick(cron, new Date(ctx.now.getTime() - ctx.lookbackMs), ctx.now);
    if (!tick) return { campaignId: campaign.id, candidates: [], filtered: { 'no schedule tick in the window': 1 }, started: 0, duplicates: 0 };
    const runId = `tick-${triggerSafe(tick.toISOString())}`;
    if (ctx.dryRun) return { campaignId: campaign.id, candidates: [], filtered, started: 0, duplicates: 0, fanoutRun: runId };
    const result = await ctx.starter.startFanout({ campaignId: campaign.id, runId });
    return { campaignId: campaign.id, candidates: [], filtered, started: result.started ? 1 : 0, duplicates: result.started ? 0 : 1, fanoutRun: runId };
  }
  // One candidate per customer per sweep (the earliest fact); later ones would meet the re-entry rule anyway.
  const all = [
    ...(await scoreCandidates(ctx, campaign, filtered)),
    ...(await eventCandidates(ctx, campaign, filtered)),
    ...(await tierCandidates(ctx, campaign, filtered)),
  ].sort((a, b) => (a.input.trigger.at < b.input.trigger.at ? -1 : 1));
  const candidates: Candidate[] = [];
  const seenCustomers = new Set<string>();
  for (const c of all) {
    if (seenCustomers.has(c.input.customerId)) count(filtered, 'another trigger of the same customer in this sweep');
    else {
      seenCustomers.add(c.input.customerId);
      candidates.push(c);
    }
  }
  let started = 0;
  let duplicates = 0;
  if (!ctx.dryRun) {
    for (const c of candidates) {
      const r = await ctx.starter.startJourney(c.input);
      if (r.started) started++;
      else duplicates++;
    }
  }
  return { campaignId: campaign.id, candidates, filtered, started, duplicates };
}

export { cronMatches };
