import { performance } from 'node:perf_hooks';
import { couponCode, getCoupon } from '../../functions/campaigns/rewards.js';
import { couponSecret } from '../../functions/campaigns/secrets.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { mapLimited } from '../../functions/commons/concurrency.js';
import { getConfig } from '../../functions/commons/config.js';
import { WinbackError } from '../../kernel/errors.js';
import type { OrderEvent } from '../../kernel/events/order-event.js';
import { listEntries, type EntryRecord } from '../../functions/store/journey-entries.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { campaignLedger, type LedgerEntry } from '../../functions/store/ledger.js';
import { getProfile } from '../../functions/store/profiles.js';
import { getScore } from '../../functions/store/scores.js';
import { ApiSender, type ApiTarget, type SenderItem } from '../ingest/sender.js';
import { clickRecord, openRecord, type CampaignMessage } from './campaign-mail.js';
import { engagementFromHistory, pastOrderLines, storedResponses } from './response-history.js';
import { planEntrant, responseOrderPrefix, type EntrantCoupon, type EntrantFacts, type EntrantPlan, type SentMessage } from './response-plan.js';

/**
 * `winback simulate --responses`: what a campaign's entrants do after it ran. On simulated data
 * nobody ever reacts to campaign mail, so every report would show no opens and no uplift; this
 * gives each entrant (treatment and holdout alike, as the report counts them) opens and clicks of
 * the messages the ledger says SES accepted, and perhaps an order, and sends them through the
 * ingest API like the shop and SES would: SES Open / Click records as SNS notifications to
 * /v1/email-events, orders to /v1/orders (a treated customer's coupon on it, which ingestion
 * redeems). Who does what is response-plan.ts; this module reads the store and posts.
 *
 * Re-running converges: order ids are derived from (campaign, customer, entry, seed), and an
 * entrant's opens, clicks and orders already in the store are kept as they are rather than posted
 * again at new times (an open's event id includes its time, and the times depend on how much of
 * the window has passed on the wall clock, so re-timing them would add opens).
 */
export class ResponseSimulationError extends WinbackError {}

export interface ResponsesTarget extends ApiTarget {
  readonly tableName: string;
  drain(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface ResponsesOptions {
  readonly campaigns: readonly CampaignDefinition[];
  readonly seed: number;
  readonly effect: number;
  /** The wall clock (responses are never later); default now. */
  readonly now?: Date;
  /** Entrants read from the store at once. */
  readonly concurrency?: number;
  readonly drainTimeoutMs?: number;
}

export interface ByGroup<T> {
  readonly treatment: T;
  readonly holdout: T;
}

export interface CampaignResponses {
  readonly campaignId: string;
  readonly attributionWindowMs: number;
  readonly entrants: ByGroup<number>;
  /** Treatment messages SES accepted within the window (ledger status sent). */
  readonly messages: number;
  /** Messages opened / clicked (at most one of each per message, as the report counts them). */
  readonly opened: number;
  readonly clicked: number;
  /** Entrants who placed an order (one each), and its net total. */
  readonly orders: ByGroup<number>;
  readonly revenue: ByGroup<number>;
  readonly couponsUsed: number;
  /** Mean conversion probability the entrants were given, per group. */
  readonly expectedConversion: ByGroup<number>;
  /** expectedConversion.treatment - expectedConversion.holdout: what the report's uplift estimates. */
  readonly trueUplift: number;
  /** What this run posted; the rest was already stored by an earlier run. */
  readonly posted: { readonly opens: number; readonly clicks: number; readonly orders: number };
  /** Treated entrants who would have opened but have no address on file any more (no SES record without one). */
  readonly withoutAddress: number;
  /**
   * Simulated responses in the store that this run would not make: left by a run with another
   * seed or effect (events are never deleted), and counted by the report all the same.
   */
  readonly fromOtherRuns: { readonly opens: number; readonly clicks: number; readonly orders: number };
}

export interface ResponsesSummary {
  readonly seed: number;
  readonly effect: number;
  readonly asOf: string;
  readonly campaigns: CampaignResponses[];
  readonly accepted: number;
  readonly rejected: number;
  readonly rejections: Record<string, number>;
  readonly seconds: number;
}

interface EntrantResult {
  readonly group: 'treatment' | 'holdout';
  readonly plan: EntrantPlan;
  readonly items: Array<{ readonly item: SenderItem; readonly ref: string; readonly what: 'opens' | 'clicks' | 'orders' }>;
  readonly withoutAddress: boolean;
  /** Stored responses of this entrant that this plan does not make (a run with another seed or effect). */
  readonly foreign: { readonly opens: number; readonly clicks: number; readonly orders: number };
}

const byGroup = <T>(make: () => T): { treatment: T; holdout: T } => ({ treatment: make(), holdout: make() });
const round2 = (v: number): number => Math.round(v * 100) / 100;
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/** The sent treatment messages of each entry, by entry id, in send order. */
function sentMessages(ledger: readonly LedgerEntry[]): Map<string, SentMessage[]> {
  const out = new Map<string, SentMessage[]>();
  for (const l of ledger) {
    if (l.group !== 'treatment' || l.status !== 'sent' || !l.messageId) continue;
    const list = out.get(l.entryId) ?? [];
    list.push({ messageId: l.messageId, stepId: l.stepId, sentAtMs: Date.parse(l.sentAt ?? l.updatedAt) });
    out.set(l.entryId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.sentAtMs - b.sentAtMs || (a.messageId < b.messageId ? -1 : 1));
  return out;
}

async function entrantCoupon(table: string, campaign: CampaignDefinition, entry: EntryRecord): Promise<EntrantCoupon | undefined> {
  const reward = campaign.rewards?.coupon;
  if (!reward) return undefined;
  // The code the send step issued for this entry (its entry id is the journey's execution name).
  const code = couponCode(reward.prefix, campaign.id, entry.customerId, entry.executionName, couponSecret());
  const coupon = await getCoupon(table, code);
  if (!coupon) return undefined;
  return {
    code: coupon.code,
    ...(coupon.percentOff !== undefined ? { percentOff: coupon.percentOff } : {}),
    ...(coupon.amountOff !== undefined ? { amountOff: coupon.amountOff } : {}),
    ...(coupon.currency !== undefined ? { currency: coupon.currency } : {}),
    validUntilMs: Date.parse(coupon.validUntil),
    ...(coupon.orderId !== undefined ? { redeemedBy: coupon.orderId } : {}),
  };
}

async function simulateEntrant(
  table: string,
  campaign: CampaignDefinition,
  entry: EntryRecord,
  messages: readonly SentMessage[],
  opts: { seed: number; effect: number; nowMs: number },
): Promise<EntrantResult> {
  const enteredAtMs = Date.parse(entry.enteredAt);
  const group = entry.group === 'holdout' ? 'holdout' : 'treatment';
  const treatedMessages = group === 'treatment' ? messages : [];
  const [events, score, profile, coupon] = await Promise.all([
    queryCustomerEvents(table, entry.customerId, { to: new Date(opts.nowMs + 1).toISOString() }),
    getScore(table, entry.customerId),
    treatedMessages.length > 0 ? getProfile(table, entry.customerId) : undefined,
    treatedMessages.length > 0 ? entrantCoupon(table, campaign, entry) : undefined,
  ]);
  const engagement = engagementFromHistory(events, enteredAtMs);
  const past = pastOrderLines(events, enteredAtMs);
  const facts: EntrantFacts = {
    campaignId: campaign.id,
    customerId: entry.customerId,
    entryId: entry.executionName,
    group,
    enteredAtMs,
    messages: treatedMessages,
    ...(score ? { propensity: score.purchasePropensity } : {}),
    openRate: engagement.openRate,
    clickRate: engagement.clickRate,
    pastLines: past.lines,
    ...(past.currency !== undefined ? { currency: past.currency } : {}),
    ...(coupon ? { coupon } : {}),
  };
  const plan = planEntrant(facts, { seed: opts.seed, effect: opts.effect, windowMs: campaign.goal.attributionWindow, nowMs: opts.nowMs });
  const stored = storedResponses(events.filter((e) => Date.parse(e.timestamp) >= enteredAtMs));
  const items: EntrantResult['items'] = [];
  const config = getConfig();
  const to = profile?.email;
  const withoutAddress = plan.opens.length > 0 && !to;
  for (const o of plan.opens) {
    if (!to) break;
    const message: CampaignMessage = {
      messageId: o.messageId,
      campaignId: campaign.id,
      variant: entry.variant,
      stepId: o.stepId,
      customerId: entry.customerId,
      to,
      from: config.SES_FROM_ADDRESS,
      configurationSet: config.SES_CONFIGURATION_SET,
      sentAtMs: o.sentAtMs,
    };
    const storedOpen = stored.opens.get(o.messageId);
    if (storedOpen === undefined) items.push({ item: { kind: 'ses', record: openRecord(message, o.openAtMs) }, ref: `open ${o.messageId}`, what: 'opens' });
    if (o.clickAtMs !== undefined && !stored.clicks.has(o.messageId)) {
      // After the open that is actually stored, should an earlier run have left only the open.
      const clickAtMs = Math.min(opts.nowMs, Math.max(o.clickAtMs, (storedOpen ?? o.openAtMs) + 1));
      items.push({ item: { kind: 'ses', record: clickRecord(message, clickAtMs) }, ref: `click ${o.messageId}`, what: 'clicks' });
    }
  }
  if (plan.order && !stored.orders.has(plan.order.orderId)) {
    const o = plan.order;
    const order: OrderEvent = {
      type: 'order',
      orderId: o.orderId,
      status: 'placed',
      customerId: entry.customerId,
      items: [...o.items],
      currency: o.currency,
      total: o.total,
      discount: o.discount,
      ...(o.couponCode ? { couponCode: o.couponCode } : {}),
      timestamp: new Date(o.atMs).toISOString(),
    };
    items.push({ item: { kind: 'order', payload: order }, ref: o.orderId, what: 'orders' });
  }
  const planned = new Set(to ? plan.opens.map((o) => o.messageId) : []);
  const clicked = new Set(to ? plan.opens.filter((o) => o.clickAtMs !== undefined).map((o) => o.messageId) : []);
  const ours = new Set(treatedMessages.map((m) => m.messageId));
  const foreign = {
    opens: [...stored.opens.keys()].filter((id) => ours.has(id) && !planned.has(id)).length,
    clicks: [...stored.clicks].filter((id) => ours.has(id) && !clicked.has(id)).length,
    orders: [...stored.orders].filter((id) => id.startsWith(responseOrderPrefix(campaign.id)) && id !== plan.order?.orderId).length,
  };
  return { group, plan, items, withoutAddress, foreign };
}

function summarise(campaign: CampaignDefinition, results: readonly EntrantResult[]): CampaignResponses {
  const entrants = byGroup(() => 0);
  const orders = byGroup(() => 0);
  const revenue = byGroup(() => 0);
  const probability = byGroup(() => 0);
  const posted = { opens: 0, clicks: 0, orders: 0 };
  const fromOtherRuns = { opens: 0, clicks: 0, orders: 0 };
  let messages = 0;
  let opened = 0;
  let clicked = 0;
  let couponsUsed = 0;
  let withoutAddress = 0;
  for (const r of results) {
    entrants[r.group]++;
    probability[r.group] += r.plan.probability;
    messages += r.plan.messages;
    if (r.withoutAddress) withoutAddress++;
    else {
      opened += r.plan.opens.length;
      clicked += r.plan.opens.filter((o) => o.clickAtMs !== undefined).length;
    }
    if (r.plan.order) {
      orders[r.group]++;
      revenue[r.group] += r.plan.order.total;
      if (r.plan.order.couponCode) couponsUsed++;
    }
    for (const i of r.items) posted[i.what]++;
    fromOtherRuns.opens += r.foreign.opens;
    fromOtherRuns.clicks += r.foreign.clicks;
    fromOtherRuns.orders += r.foreign.orders;
  }
  const mean = (g: 'treatment' | 'holdout'): number => (entrants[g] ? probability[g] / entrants[g] : 0);
  const expectedConversion = { treatment: round4(mean('treatment')), holdout: round4(mean('holdout')) };
  return {
    campaignId: campaign.id,
    attributionWindowMs: campaign.goal.attributionWindow,
    entrants,
    messages,
    opened,
    clicked,
    orders,
    revenue: { treatment: round2(revenue.treatment), holdout: round2(revenue.holdout) },
    couponsUsed,
    expectedConversion,
    trueUplift: round4(mean('treatment') - mean('holdout')),
    posted,
    withoutAddress,
    fromOtherRuns,
  };
}

export async function simulateResponses(target: ResponsesTarget, opts: ResponsesOptions): Promise<ResponsesSummary> {
  const t0 = performance.now();
  const now = opts.now ?? new Date();
  const nowMs = now.getTime();
  const table = target.tableName;
  const campaigns: CampaignResponses[] = [];
  if (!Number.isFinite(opts.effect) || opts.effect < -1) {
    throw new ResponseSimulationError(`the effect must be a number of at least -1 (no conversions when treated), got ${opts.effect}`);
  }
  const sender = new ApiSender(target);
  try {
    for (const campaign of opts.campaigns) {
      const [entries, ledger] = await Promise.all([listEntries(table, campaign.id), campaignLedger(table, campaign.id)]);
      const messages = sentMessages(ledger);
      // A fixed order, so what is posted (and any rejection examples) does not depend on the store's paging.
      const ordered = [...entries].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.triggerId < b.triggerId ? -1 : 1));
      const results = await mapLimited(ordered, opts.concurrency ?? 8, (entry) =>
        simulateEntrant(table, campaign, entry, messages.get(entry.executionName) ?? [], { seed: opts.seed, effect: opts.effect, nowMs }),
      );
      for (const r of results) for (const i of r.items) await sender.add(i.item, i.ref);
      campaigns.push(summarise(campaign, results));
    }
  } catch (error) {
    // Let what is already queued go out (it is valid and idempotent), but report the first failure.
    await sender.close().catch(() => undefined);
    throw error;
  }
  const sent = await sender.close();
  // Done means stored: the report reads the table, not the queues.
  await target.drain({ timeoutMs: opts.drainTimeoutMs ?? 10 * 60_000 });
  return {
    seed: opts.seed,
    effect: opts.effect,
    asOf: now.toISOString(),
    campaigns,
    accepted: sent.accepted,
    rejected: sent.rejected,
    rejections: sent.reasons,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  };
}

/** Campaigns that have sent (or held out) anyone: the default of `simulate --responses`. */
export async function campaignsWithLedger(table: string, campaigns: readonly CampaignDefinition[]): Promise<CampaignDefinition[]> {
  const withEntries = await Promise.all(campaigns.map(async (c) => ((await campaignLedger(table, c.id)).length > 0 ? c : undefined)));
  return withEntries.filter((c): c is CampaignDefinition => c !== undefined);
}
