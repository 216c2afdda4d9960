import { campaignRawRow } from '../../models/uplift/campaign-data.js';
import { holdoutEvaluation } from '../../models/uplift/evaluate.js';
import { loadUplift, scoreUplift } from '../../models/registry/uplift-model.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { UpliftBacktestRecord, type RegistryIndex } from '../../models/registry/schema.js';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { campaignUpliftRows } from './campaign-uplift.js';

/**
 * The realised backtest of the uplift champion (issue 14 item 5): the campaign entries that
 * arrived after it was registered (so none of its training rows), with closed attribution
 * windows, scored by it as of entry, against what the treated and held-out customers did: the
 * realised Qini and uplift@30%. Kept on its registry entry (upliftBacktests) and flagged when the
 * realised Qini is below `minQini` (default 0: its ranking did worse than random targeting).
 * A champion learnt from an imported CSV whose columns the campaign rows do not have is skipped
 * (its scores would be its training means).
 */
export const DEFAULT_UPLIFT_MIN_QINI = 0;
/** Per arm: fewer and the realised Qini is noise. */
export const MIN_BACKTEST_ROWS_PER_ARM = 20;

export type UpliftBacktestOutcome =
  | { readonly status: 'recorded'; readonly version: string; readonly record: UpliftBacktestRecord; readonly flagged: boolean; readonly reason?: string }
  | { readonly status: 'skipped'; readonly version: string | null; readonly reason: string };

export async function backtestUpliftChampion(input: {
  readonly registry: ModelRegistry;
  readonly table: string;
  readonly campaigns: readonly CampaignDefinition[];
  readonly now: Date;
  readonly minQini?: number;
}): Promise<UpliftBacktestOutcome> {
  const index: RegistryIndex = await input.registry.readIndex('uplift');
  const version = index.champion;
  const entry = index.versions.find((v) => v.version === version);
  if (!version || !entry) return { status: 'skipped', version: null, reason: 'no uplift champion' };
  const record = await loadUplift(input.registry, version);
  const outcome = record.experiment.outcome === 'revenue' ? 'revenue' : 'converted';
  const from = new Date(entry.createdAt);
  const { rows } = await campaignUpliftRows(input.table, input.campaigns, { asOf: input.now, outcome, enteredFrom: from });
  const raw = rows.map(campaignRawRow);
  const known = new Set(Object.keys(raw[0] ?? {}));
  if (raw.length > 0 && !record.encoder.columns.some((c) => known.has(c.name))) {
    return { status: 'skipped', version, reason: `it was learnt from ${record.experiment.source}, whose columns campaign entries do not have` };
  }
  const treated = rows.filter((r) => r.treated).length;
  if (Math.min(treated, rows.length - treated) < MIN_BACKTEST_ROWS_PER_ARM) {
    return { status: 'skipped', version, reason: `${treated} treated and ${rows.length - treated} held-out entries closed since ${entry.createdAt}; each arm needs ${MIN_BACKTEST_ROWS_PER_ARM}` };
  }
  const e = holdoutEvaluation(rows.map((r) => r.outcome), rows.map((r) => (r.treated ? 1 : 0)), scoreUplift(record, raw));
  const checked = UpliftBacktestRecord.parse({
    at: input.now.toISOString(),
    from: entry.createdAt,
    campaigns: [...new Set(rows.map((r) => r.campaignId))].sort(),
    n: rows.length,
    treated,
    ate: e.ate,
    qini: e.qini,
    upliftAt30: e.upliftAtK['0.3'],
  });
  const minQini = input.minQini ?? DEFAULT_UPLIFT_MIN_QINI;
  const flagged = checked.qini < minQini;
  const reason = flagged ? `realised Qini ${checked.qini.toFixed(3)} < ${minQini} on ${checked.n} campaign entries since ${entry.createdAt.slice(0, 10)}` : undefined;
  // One record per backtest time: a retried training run replaces its own.
  const upliftBacktests = [...(entry.upliftBacktests ?? []).filter((b) => b.at !== checked.at), checked].sort((a, b) => (a.at < b.at ? -1 : 1));
  const { flagged: _f, flagReason: _r, ...rest } = entry;
  const next = { ...rest, upliftBacktests, ...(flagged ? { flagged: true, flagReason: reason } : {}) };
  await input.registry.writeIndex({ ...index, versions: index.versions.map((v) => (v.version === version ? next : v)) });
  return flagged ? { status: 'recorded', version, record: checked, flagged, reason: reason! } : { status: 'recorded', version, record: checked, flagged };
}
