import { createHash } from 'node:crypto';
import { computeFeatures } from '../../models/features.js';
import { campaignExperiment, type CampaignUpliftRow } from '../../models/uplift/campaign-data.js';
import { evaluateExperiment, type UpliftEvaluation } from '../../models/uplift/evaluate.js';
import { splitByArm, type ExperimentData } from '../../models/uplift/experiment.js';
import { registerUplift, upliftRecordOf } from '../../models/registry/uplift-model.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { mapLimited } from '../commons/concurrency.js';
import { entryOutcome } from '../journeys/outcomes.js';
import { queryCustomerEvents } from '../store/events.js';
import { listEntries } from '../store/journey-entries.js';

/**
 * Past campaigns as uplift training data (issue 14 item 1). Every campaign draws a sticky random
 * holdout, so its entrants are a randomized experiment: treated = sent the campaign, control =
 * held out. A row per entry whose attribution window has closed by `asOf` (an open window would
 * count a holdout customer's missing order as "did not convert" before it had the chance):
 * the churn features as of the entry (the customer's events before it, the churn model's own
 * transforms), the campaign as context, and the outcome the campaign report counts for that
 * entry (converted 0/1, or net revenue in the window). Entries of erased customers are gone with
 * them (functions/privacy), so they never reach a model.
 */

export type CampaignOutcome = 'converted' | 'revenue';

export interface CampaignRowsSummary {
  readonly campaignId: string;
  readonly entries: number;
  /** Entries whose window is still open at asOf: not used yet. */
  readonly open: number;
  readonly treated: number;
  readonly holdout: number;
}

export interface CampaignRows {
  readonly rows: CampaignUpliftRow[];
  readonly campaigns: CampaignRowsSummary[];
}

export async function campaignUpliftRows(
  table: string,
  campaigns: readonly CampaignDefinition[],
  options: {
    readonly asOf: Date;
    readonly outcome: CampaignOutcome;
    /** Only entries from this time on (a backtest: those a model registered then has not seen). */
    readonly enteredFrom?: Date;
    readonly concurrency?: number;
  },
): Promise<CampaignRows> {
  const rows: CampaignUpliftRow[] = [];
  const summaries: CampaignRowsSummary[] = [];
  for (const campaign of campaigns) {
    const windowMs = campaign.goal.attributionWindow;
    const entries = await listEntries(table, campaign.id);
    const from = options.enteredFrom?.getTime() ?? -Infinity;
    const inRange = entries.filter((e) => Date.parse(e.enteredAt) >= from);
    const closed = inRange.filter((e) => Date.parse(e.enteredAt) + windowMs <= options.asOf.getTime());
    const built = await mapLimited(closed, options.concurrency ?? 16, async (entry): Promise<CampaignUpliftRow> => {
      const end = new Date(Date.parse(entry.enteredAt) + windowMs + 1).toISOString();
      const events = await queryCustomerEvents(table, entry.customerId, { to: end });
      const enteredAt = new Date(entry.enteredAt);
      const outcome = entryOutcome(entry, events, { campaignId: campaign.id, topic: campaign.topic, goal: campaign.goal.event, windowMs, asOf: options.asOf });
      return {
        customerId: entry.customerId,
        campaignId: campaign.id,
        treated: entry.group === 'treatment',
        outcome: options.outcome === 'converted' ? (outcome.converted ? 1 : 0) : outcome.revenue,
        // computeFeatures ignores events at or after its cutoff: the features are those the send saw.
        features: computeFeatures(events, enteredAt),
      };
    });
    rows.push(...built);
    const treated = built.filter((r) => r.treated).length;
    summaries.push({ campaignId: campaign.id, entries: inRange.length, open: inRange.length - closed.length, treated, holdout: built.length - treated });
  }
  return { rows, campaigns: summaries };
}

export interface CampaignUpliftResult {
  readonly data: ExperimentData;
  readonly evaluation: UpliftEvaluation;
  readonly source: string;
  readonly dataHash: string;
  readonly registered: ReadonlyArray<{ readonly kind: string; readonly version: string; readonly decision: string; readonly reason: string }>;
}

/**
 * Trains and judges the uplift models on campaign rows exactly as `winback uplift evaluate` does an
 * imported experiment (same encoder, models, holdout metrics), and with `registry` keeps each in it
 * (kind uplift, champion / challenger by holdout Qini), which is what targeting by uplift and
 * expected value reads. Too few rows per arm is an ExperimentDataError naming the split.
 */
export async function trainCampaignUplift(
  rows: readonly CampaignUpliftRow[],
  options: { readonly holdoutFraction?: number; readonly seed?: number; readonly registry?: ModelRegistry; readonly now?: Date; readonly outcome: CampaignOutcome },
): Promise<CampaignUpliftResult> {
  const data = { ...campaignExperiment(rows), spec: { treatmentColumn: 'arm', treatment: 'sent', control: 'holdout', outcome: options.outcome } };
  const holdoutFraction = options.holdoutFraction ?? 0.5;
  const seed = options.seed ?? 1;
  const evaluation = evaluateExperiment(data, { holdoutFraction, seed });
  const campaigns = [...new Set(rows.map((r) => r.campaignId))].sort();
  const source = `campaigns ${campaigns.join(',')}`;
  // Keyed by who was in which arm with which outcome: the same campaigns give the same version.
  const dataHash = createHash('sha256')
    .update(JSON.stringify(rows.map((r) => [r.campaignId, r.customerId, r.treated, r.outcome])))
    .digest('hex');
  const registered: Array<{ kind: string; version: string; decision: string; reason: string }> = [];
  if (options.registry) {
    const { holdout } = splitByArm(data.t, holdoutFraction, seed);
    for (const m of evaluation.models) {
      const record = upliftRecordOf({ evaluated: m, data, source, holdoutFraction, seed, dataHash });
      const r = await registerUplift(options.registry, {
        record,
        holdout: { raw: holdout.map((i) => data.raw[i]!), t: holdout.map((i) => data.t[i]!), y: holdout.map((i) => data.y[i]!), outcome: options.outcome },
        createdAt: options.now ?? new Date(),
      });
      registered.push({ kind: m.kind, version: r.version, decision: r.decision, reason: r.reason });
    }
  }
  return { data, evaluation, source, dataHash, registered };
}

