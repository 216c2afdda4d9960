/**
 * Past campaigns as uplift training data: every campaign keeps a sticky random holdout, so its
 * sent and held-out customers are a randomized experiment. Each row carries the churn model's
 * feature vector at send time (models/features.ts, through the same documented transforms as
 * the churn model) and the campaign context (campaign id, and any other categorical context such
 * as the channel or the incentive). The rows become an ExperimentData exactly like an imported
 * CSV's, so the same encoder, models, evaluation and registry record serve both.
 *
 * Reading the ledger and the outcomes is the caller's business (campaign code); this module is pure.
 */
import { FEATURE_NAMES, toModelInput, type FeatureVector } from '../features.js';
import { ExperimentDataError, fitEncoder, encodeRow, type ExperimentData, type ExperimentSpec } from './experiment.js';

export interface CampaignUpliftRow {
  readonly customerId: string;
  readonly campaignId: string;
  /** True when the customer was sent the message, false when held out. */
  readonly treated: boolean;
  /** Outcome over the campaign's measurement window: 0/1 (converted) or an amount (revenue). */
  readonly outcome: number;
  /** Churn-model features as of the send (or holdout assignment) time. */
  readonly features: FeatureVector;
  /** Extra categorical context (e.g. { channel: 'email', incentive: '10%' }). */
  readonly context?: Readonly<Record<string, string>>;
}

/** Column roles of campaign data, as an ExperimentSpec (for the registry record). */
export const CAMPAIGN_SPEC: ExperimentSpec = { treatmentColumn: 'arm', treatment: 'sent', control: 'holdout', outcome: 'outcome' };

/** The raw record of one row: model inputs as numbers in text (the encoder's common currency) plus context. */
export function campaignRawRow(row: Pick<CampaignUpliftRow, 'campaignId' | 'features' | 'context'>): Record<string, string> {
  const inputs = toModelInput(row.features);
  const raw: Record<string, string> = { campaign: row.campaignId };
  FEATURE_NAMES.forEach((name, j) => {
    raw[name] = String(inputs[j]);
  });
  for (const [k, v] of Object.entries(row.context ?? {})) {
    if (k === 'campaign' || (FEATURE_NAMES as readonly string[]).includes(k)) throw new ExperimentDataError(`context key '${k}' clashes with a feature or the campaign column`);
    raw[k] = v;
  }
  return raw;
}

export function campaignExperiment(rows: readonly CampaignUpliftRow[]): ExperimentData {
  if (rows.length === 0) throw new ExperimentDataError('no campaign rows');
  for (const r of rows) {
    if (!Number.isFinite(r.outcome)) throw new ExperimentDataError(`customer ${r.customerId} in ${r.campaignId}: outcome is not a finite number`);
  }
  const t: number[] = rows.map((r) => (r.treated ? 1 : 0));
  const treated = t.reduce((s, v) => s + v, 0);
  if (treated === 0 || treated === rows.length) throw new ExperimentDataError('need both sent and held-out customers');
  const raw = rows.map(campaignRawRow);
  const names = Object.keys(raw[0]!);
  for (const r of raw) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  const encoder = fitEncoder(names, raw);
  const y = rows.map((r) => r.outcome);
  return {
    spec: CAMPAIGN_SPEC,
    n: rows.length,
    t,
    y,
    raw,
    encoder,
    x: raw.map((r) => encodeRow(encoder, r)),
    binary: y.every((v) => v === 0 || v === 1),
    otherArmRows: 0,
  };
}
