import { WinbackError } from '../../kernel/errors.js';
import { computeFeatures, FEATURE_NAMES, toModelInput } from '../../models/features.js';
import { loadUplift, scoreUplift, type UpliftModelRecord } from '../../models/registry/uplift-model.js';
import { expectedValue, ladderStep, type IncentiveOption, type ScoredCandidate } from '../../models/targeting.js';
import { initBackend } from '../../models/tf/backend.js';
import { openRegistry } from '../jobs/model-registry.js';
import type { CustomerFacts } from '../journeys/customer-facts.js';
import { queryCustomerEvents } from '../store/events.js';
import { incentiveOptions } from './budgets.js';
import type { CampaignDefinition } from './definition/schema.js';

/**
 * Scoring a campaign's candidates for targeting: P(churn) and CLV from the customer's score item,
 * uplift from the registry's uplift champion (kind `uplift`), the expected value
 * P(churn) x CLV x uplift - incentive cost, and the coupon step of a discount ladder.
 *
 * Without an uplift champion, targeting by uplift or expected-value (and any incentive ladder,
 * which is sized by expected value) fails with NoUpliftModelError before anything starts: a
 * silent fallback to churn would target exactly the customers uplift targeting exists to avoid.
 * Targeting by churn needs no uplift model (its reasons then carry no uplift or expected value).
 */
export class NoUpliftModelError extends WinbackError {}

/** Where candidate uplifts come from: the uplift champion, scored in batches. */
export interface UpliftSource {
  readonly version: string;
  /** Predicted uplift of `campaign` for each member; `step` is the incentive context (a ladder step). */
  score(campaign: CampaignDefinition, members: readonly CustomerFacts[], step?: number): Promise<number[]>;
}

export function needsUplift(campaign: CampaignDefinition): boolean {
  return campaign.targeting !== undefined && (campaign.targeting.by !== 'churn' || campaign.incentive !== undefined);
}

/** The uplift champion of the registry at `registryUri`, or NoUpliftModelError naming the fix. */
export async function upliftSource(registryUri: string, table: string, now: Date): Promise<UpliftSource> {
  const registry = await openRegistry(registryUri);
  const index = await registry.readIndex('uplift');
  if (!index.champion) {
    throw new NoUpliftModelError(
      `targeting by uplift or expected value needs an uplift model, and ${registryUri} has no uplift champion: ` +
        'register one (`winback uplift evaluate ... --register`) or target by churn',
    );
  }
  const record = await loadUplift(registry, index.champion);
  await initBackend();
  return upliftSourceOf(index.champion, record, table, now);
}

/** The score item's numbers an uplift row carries (a model trained on rows built the same way reads them back). */
export const SCORE_COLUMNS = ['churnProbability', 'purchasePropensity', 'pAlive', 'expectedPurchases90d', 'expectedOrderValue', 'clv12m', 'orders', 'daysSinceLastOrder'] as const;

/**
 * The model's raw row for a customer: the campaign id and incentive (campaign context, as in
 * models/uplift/campaign-data.ts), the score's numbers, scalar traits, and the churn features when
 * the model was trained on them (computed from the customer's events up to `now`). A column the
 * customer has no value for is missing, which the encoder reads as the training mean.
 */
export function upliftSourceOf(version: string, record: UpliftModelRecord, table: string, now: Date): UpliftSource {
  const columns = new Set(record.encoder.columns.map((c) => c.name));
  const wantsFeatures = FEATURE_NAMES.some((n) => columns.has(n));
  const features = new Map<string, Record<string, string>>();
  const featuresOf = async (customerId: string): Promise<Record<string, string>> => {
    let f = features.get(customerId);
    if (!f) {
      const inputs = toModelInput(computeFeatures(await queryCustomerEvents(table, customerId, { to: now.toISOString() }), now));
      f = Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, String(inputs[j])]));
      features.set(customerId, f);
    }
    return f;
  };
  return {
    version,
    async score(campaign, members, step) {
      const raw: Array<Record<string, string>> = [];
      for (const m of members) {
        const row: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.traits)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') row[k] = String(v);
        for (const k of SCORE_COLUMNS) {
          const v = m.score?.[k];
          if (typeof v === 'number') row[k] = String(v);
        }
        if (wantsFeatures) Object.assign(row, await featuresOf(m.customerId));
        row['campaign'] = campaign.id;
        if (step !== undefined) row['incentive'] = String(step);
        raw.push(row);
      }
      return raw.length ? scoreUplift(record, raw) : [];
    },
  };
}

/** A scored candidate with what its reasons need. */
export interface CampaignCandidate extends ScoredCandidate {
  readonly facts: CustomerFacts;
  readonly clv: number;
  readonly step?: number;
}

export type ScoredMember = { readonly candidate: CampaignCandidate } | { readonly customerId: string; readonly excluded: string };

/**
 * Scores members for `campaign`: churn, CLV, uplift (when a source is given), the expected value
 * and, with a ladder, the smallest step with a positive expected value. Members without a score
 * item, or with no positive-value ladder step, come back excluded with the reason.
 */
export async function scoreMembers(campaign: CampaignDefinition, members: readonly CustomerFacts[], uplift: UpliftSource | undefined): Promise<ScoredMember[]> {
  const scored = members.filter((m) => m.score !== undefined);
  const ladder = campaign.incentive?.ladder;
  const perStep = new Map<number | undefined, number[]>();
  if (uplift) {
    for (const step of ladder ?? [undefined]) perStep.set(step, await uplift.score(campaign, scored, step));
  }
  const index = new Map(scored.map((m, i) => [m.customerId, i]));
  return members.map((m): ScoredMember => {
    const i = index.get(m.customerId);
    if (i === undefined || !m.score) return { customerId: m.customerId, excluded: 'not scored yet' };
    const churn = m.score.churnProbability;
    const clv = m.score.clv12m;
    const options = incentiveOptions(campaign, m.score.expectedOrderValue);
    if (ladder && uplift) {
      const at = (o: IncentiveOption): number => perStep.get(o.step)![i]!;
      const choice = ladderStep(options, { churn, clv }, at);
      if (!choice) return { customerId: m.customerId, excluded: 'no ladder step with a positive expected value' };
      return { candidate: { customerId: m.customerId, facts: m, churn, clv, uplift: choice.uplift, expectedValue: choice.expectedValue, cost: choice.option.cost, step: choice.option.step } };
    }
    const cost = options[0]?.cost ?? 0;
    const u = uplift ? perStep.get(undefined)![i]! : undefined;
    return {
      candidate: {
        customerId: m.customerId,
        facts: m,
        churn,
        clv,
        cost,
        ...(u !== undefined ? { uplift: u, expectedValue: expectedValue({ churn, clv, uplift: u, cost }) } : {}),
      },
    };
  });
}

/**
 * The value a campaign bids for a customer in arbitration: its expected incremental value, or,
 * without an uplift model (churn targeting), the value at stake P(churn) x CLV - cost, as if
 * every campaign's message had the same effect.
 */
export function bidValue(c: CampaignCandidate): number {
  return c.expectedValue ?? c.churn * c.clv - c.cost;
}
