import { campaignList } from '../../application/campaign-files.js';
import { openRegistryFor } from '../../application/model-registry.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import { campaignUpliftRows, trainCampaignUplift, type CampaignOutcome } from '../../functions/jobs/campaign-uplift.js';
import { backtestUpliftChampion, type UpliftBacktestOutcome } from '../../functions/jobs/uplift-backtest.js';
import { initBackend } from '../../models/tf/backend.js';
import { withStack } from '../local/stack.js';
import { campaignsDir, CAMPAIGNS_OPTION } from './campaigns.js';
import { commandTime } from './clock.js';
import { timeOption, UsageError, type CliCommand } from './command.js';
import { MODEL_OPTIONS, printEvaluation, splitOptions, writePlots } from './uplift.js';

/**
 * `winback uplift train`: the treated and held-out entrants of past campaigns as a randomized
 * experiment (functions/jobs/campaign-uplift.ts), the same uplift models and holdout figures as
 * `uplift evaluate`, and with --register the models targeting by uplift / expected value reads.
 */
const OUTCOMES: readonly CampaignOutcome[] = ['converted', 'revenue'];

export const upliftTrainCommand: CliCommand = {
  name: 'uplift train',
  summary: "uplift models from past campaigns' treated and held-out customers",
  help: [
    'usage: winback uplift train [--campaign ID ...] [--outcome converted|revenue] [--at TIME]',
    '                            [--holdout-fraction 0.5] [--seed N] [--plot DIR] [--register] [--json] [--campaigns DIR]',
    '',
    '      --campaign ID             a campaign to learn from (repeatable; default: every valid campaign with entries)',
    '      --outcome O               converted (the goal event in the attribution window, default) or revenue',
    '      --at TIME                 entries whose attribution window closed by then (default now, or the virtual clock)',
    '      --holdout-fraction F      share of each arm held out for evaluation (default 0.5)',
    '      --seed N                  seeds the split and the networks (default 1)',
    '      --plot DIR                write the Qini and uplift curves as SVG files there',
    '      --register                first backtest the uplift champion on the entries it has not seen (realised Qini,',
    '                                flagged below 0), then keep each new model (kind uplift, champion/challenger by Qini)',
    '      --json                    print { campaigns, rows, ate, ateCi, model: { kind, holdout }, models, registered }',
  ].join('\n'),
  options: {
    ...CAMPAIGNS_OPTION,
    campaign: { type: 'string', multiple: true },
    outcome: { type: 'string' },
    at: { type: 'string' },
    ...MODEL_OPTIONS,
  },
  async run({ dataDir, values, out, err }) {
    const outcome = (values['outcome'] ?? 'converted') as CampaignOutcome;
    if (!OUTCOMES.includes(outcome)) throw new UsageError(`--outcome must be converted or revenue, got '${String(values['outcome'])}'`);
    const { holdoutFraction, seed } = splitOptions(values);
    const asOf = await commandTime(dataDir, timeOption(values, 'at'), err);
    const dir = campaignsDir(values);
    const named = (values['campaign'] as string[] | undefined) ?? [];
    const campaigns: CampaignDefinition[] = named.length
      ? await Promise.all(named.map((id) => loadCampaign(dir, id)))
      : (await campaignList(dir)).flatMap((c) => (c.campaign ? [c.campaign] : []));
    const registry = values['register'] ? await openRegistryFor(dataDir) : undefined;
    const { rows, campaigns: summaries, backtest } = await withStack(dataDir, async (stack) => {
      // Before a new registration: the champion's realised backtest on the entries it has not seen.
      const judged: UpliftBacktestOutcome | undefined = registry ? await backtestUpliftChampion({ registry, table: stack.tableName, campaigns, now: asOf }) : undefined;
      return { ...(await campaignUpliftRows(stack.tableName, campaigns, { asOf, outcome })), backtest: judged };
    });
    if (backtest?.status === 'recorded') {
      err(`backtest of ${backtest.version}: realised Qini ${backtest.record.qini.toFixed(3)}, uplift@30% ${backtest.record.upliftAt30.toFixed(4)} (ATE ${backtest.record.ate.toFixed(4)}) on ${backtest.record.n} later entries${backtest.flagged ? `; FLAGGED: ${backtest.reason}` : ''}`);
    } else if (backtest) err(`backtest skipped${backtest.version ? ` for ${backtest.version}` : ''}: ${backtest.reason}`);
    for (const s of summaries) {
      if (s.entries > 0) err(`${s.campaignId}: ${s.treated} treated, ${s.holdout} held out${s.open ? `, ${s.open} still in their attribution window` : ''}`);
    }
    const backend = await initBackend();
    err(`training uplift models on ${rows.length} campaign entries (TF.js ${backend.name})`);
    const result = await trainCampaignUplift(rows, { outcome, holdoutFraction, seed, ...(registry ? { registry } : {}) });
    for (const r of result.registered) err(`registered ${r.version}: ${r.decision} (${r.reason})`);
    await writePlots(values, result.evaluation.models, result.source, err);
    if (values['json']) {
      const { models, ...evaluation } = result.evaluation;
      out(
        JSON.stringify(
          {
            campaigns: summaries.filter((s) => s.entries > 0),
            rows: rows.length,
            ...evaluation,
            models: models.map(({ model: _model, ...rest }) => rest),
            registered: result.registered,
            ...(backtest ? { backtest } : {}),
          },
          null,
          2,
        ),
      );
    } else printEvaluation(result.evaluation, out);
    return 0;
  },
};
