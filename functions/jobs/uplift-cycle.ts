import type { ModelRegistry } from '../../models/registry/registry.js';
import { validateCampaigns } from '../campaigns/definition/load.js';
import { ExperimentDataError } from '../../models/uplift/experiment.js';
import { campaignUpliftRows, trainCampaignUplift, type CampaignOutcome, type CampaignUpliftResult } from './campaign-uplift.js';
import { backtestUpliftChampion, type UpliftBacktestOutcome } from './uplift-backtest.js';

export interface UpliftCycleOutcome {
  readonly backtest: UpliftBacktestOutcome;
  readonly training:
    | { readonly status: 'registered'; readonly rows: number; readonly registered: CampaignUpliftResult['registered'] }
    | { readonly status: 'skipped'; readonly rows: number; readonly reason: string };
}

/**
 * What the scheduled training does for uplift after the churn models: the champion's realised
 * backtest on the entries it has not seen, then new models from every closed campaign entry,
 * registered (champion / challenger by Qini on their own holdout). Too few entries is a skip
 * with the reason, not a failure of the training run.
 */
export async function upliftCycle(input: {
  readonly registry: ModelRegistry;
  readonly table: string;
  readonly campaignsDir: string;
  readonly now: Date;
  readonly minQini?: number;
  readonly outcome?: CampaignOutcome;
}): Promise<UpliftCycleOutcome> {
  const campaigns = (await validateCampaigns(input.campaignsDir)).flatMap((r) => (r.campaign && r.errors.length === 0 ? [r.campaign] : []));
  const backtest = await backtestUpliftChampion({ registry: input.registry, table: input.table, campaigns, now: input.now, ...(input.minQini !== undefined ? { minQini: input.minQini } : {}) });
  const outcome = input.outcome ?? 'converted';
  const { rows } = await campaignUpliftRows(input.table, campaigns, { asOf: input.now, outcome });
  try {
    const result = await trainCampaignUplift(rows, { outcome, registry: input.registry, now: input.now });
    return { backtest, training: { status: 'registered', rows: rows.length, registered: result.registered } };
  } catch (error) {
    if (!(error instanceof ExperimentDataError)) throw error;
    return { backtest, training: { status: 'skipped', rows: rows.length, reason: error.message } };
  }
}
