import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { campaignList, campaignsDirFrom } from '../../application/campaign-files.js';
import { dryRunCampaign, runCampaign } from '../../application/campaign-run.js';
import { renderPreview } from '../../application/email-preview.js';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { loadCampaign, validateCampaignFile, validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { parseDuration } from '../../functions/campaigns/duration.js';
import { formatIssue } from '../../functions/campaigns/errors.js';
import { campaignReport, type CampaignReport, type OutcomeMetrics } from '../../functions/journeys/outcomes.js';
import { applyCampaignEnvironment, campaignStack, CLI_TIME_SCALE } from '../local/journeys.js';
import { withStack } from '../local/stack.js';
import { commandTime } from './clock.js';
import { timeOption, UsageError, type CliCommand, type OptionValues } from './command.js';

/**
 * `winback campaigns list | validate | preview | run | report`. Campaign files are read from
 * --campaigns DIR (default ./campaigns, or CAMPAIGNS_DIR), the option `winback start` and
 * `winback simulate --responses` take too.
 */
export const CAMPAIGNS_OPTION = { campaigns: { type: 'string' } } as const;

export function campaignsDir(values: OptionValues): string {
  return campaignsDirFrom(typeof values['campaigns'] === 'string' ? values['campaigns'] : undefined);
}

function describeTrigger(c: CampaignDefinition): string {
  const t = c.trigger;
  switch (t.type) {
    case 'score':
      return `${t.model} ${t.direction === 'up' ? '>=' : '<='} ${t.threshold} (hysteresis ${t.hysteresis})`;
    case 'event':
      return `${t.event.kind} ${t.event.name}${t.unless ? ` unless ${t.unless.kind} ${t.unless.name} within ${t.unless.within / 60_000} min` : ''}`;
    case 'schedule':
      return `cron "${t.cron}"${t.timezone ? ` ${t.timezone}` : ' UTC'}`;
    case 'tier-upgrade':
      return `tier upgrade${t.to ? ` to ${t.to}` : ''}`;
    case 'first-order':
      return 'first order';
  }
}

export const campaignsListCommand: CliCommand = {
  name: 'campaigns list',
  summary: 'the campaign files: id, status, trigger, holdout, variants, steps',
  help: 'usage: winback campaigns list [--campaigns DIR] [--json]',
  options: { ...CAMPAIGNS_OPTION, json: { type: 'boolean' } },
  async run({ values, out }) {
    const dir = campaignsDir(values);
    if (values['json']) {
      out(JSON.stringify(await campaignList(dir), null, 2));
      return 0;
    }
    for (const r of await validateCampaigns(dir)) {
      const c = r.campaign;
      if (!c) {
        out(`${path.basename(r.file)}  INVALID (${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}: winback campaigns validate)`);
        continue;
      }
      out(`${c.id}  [${c.status}]  ${c.name}`);
      out(`    trigger ${c.trigger.type}: ${describeTrigger(c)}; topic ${c.topic}; holdout ${Math.round(c.holdout * 100)}%`);
      out(`    variants ${c.variants.map((v) => `${v.id} (${v.template}, w${v.weight})`).join(', ')}; steps ${c.steps.map((s) => s.id).join(' -> ')}`);
      if (c.targeting) {
        const t = c.targeting;
        const parts = [`targeting ${t.by}, ${t.top !== undefined ? `top ${Math.round(t.top * 1000) / 10}%` : `top ${t.count}`}`];
        if (c.budget) parts.push(`budget ${c.budget.amount} ${c.budget.currency}/${c.budget.period}`);
        if (c.incentive) parts.push(`coupon ladder ${c.incentive.ladder.join('/')}${c.incentive.unit === 'percent' ? '%' : ` ${c.incentive.currency ?? ''}`}`);
        out(`    ${parts.join('; ')}`);
      }
    }
    return 0;
  },
};

export const campaignsValidateCommand: CliCommand = {
  name: 'campaigns validate',
  summary: 'check campaign files: every error names the file, the path inside it and the reason',
  help: 'usage: winback campaigns validate [FILE...] [--campaigns DIR]\n\nWithout files, validates every *.yaml of the directory.',
  options: CAMPAIGNS_OPTION,
  positionals: true,
  async run({ values, positionals, out, err }) {
    const results = positionals.length
      ? await Promise.all(positionals.map((f) => validateCampaignFile(path.resolve(f))))
      : await validateCampaigns(campaignsDir(values));
    let problems = 0;
    for (const r of results) {
      if (r.errors.length === 0) out(`ok   ${path.relative(process.cwd(), r.file)}`);
      for (const issue of r.errors) {
        problems++;
        err(formatIssue({ ...issue, file: path.relative(process.cwd(), issue.file) }));
      }
    }
    out(`${results.length} file(s), ${problems} problem(s)`);
    return problems === 0 && results.length > 0 ? 0 : 1;
  },
};

export const campaignsPreviewCommand: CliCommand = {
  name: 'campaigns preview',
  summary: "render a campaign's email for one customer into an HTML file (nothing is sent or issued)",
  help: [
    'usage: winback campaigns preview <campaignId> --customer <id> [--step STEP] [--out FILE] [--campaigns DIR]',
    '',
    '  --step  the send step to render (default the first one the customer would receive)',
    '  --out   HTML file to write (default <data-dir>/previews/<campaign>-<customer>-<step>.html)',
    'Coupons are shown as a sample code; no coupon is issued and no points are credited.',
  ].join('\n'),
  options: { ...CAMPAIGNS_OPTION, customer: { type: 'string' }, step: { type: 'string' }, out: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const id = positionals[0];
    const customerId = values['customer'];
    if (!id || typeof customerId !== 'string') throw new UsageError('name the campaign and --customer <id>');
    const dir = campaignsDir(values);
    const campaign = await loadCampaign(dir, id);
    const file = await withStack(dataDir, async (stack) => {
      await applyCampaignEnvironment(stack, dir);
      const message = await renderPreview({
        table: stack.tableName,
        campaignsDir: dir,
        campaignId: campaign.id,
        customerId,
        ...(typeof values['step'] === 'string' ? { stepId: values['step'] } : {}),
        now: new Date(),
      });
      const step = { id: message.stepId };
      const target = typeof values['out'] === 'string' ? path.resolve(values['out']) : path.join(stack.dataDir, 'previews', `${campaign.id}-${customerId.replace(/[^A-Za-z0-9_-]/g, '_')}-${step.id}.html`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, message.html);
      await writeFile(target.replace(/\.html$/, '.txt'), `Subject: ${message.subject}\nPreheader: ${message.preheader}\n${Object.entries(message.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${message.text}`);
      return target;
    });
    out(file);
    return 0;
  },
};

const lines = (m: Record<string, number>): string[] =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `    ${String(v).padStart(6)}  ${k}`);

export const campaignsRunCommand: CliCommand = {
  name: 'campaigns run',
  summary: "evaluate a campaign's trigger now and run the journeys (local Step Functions); --dry-run lists who would get what",
  help: [
    'usage: winback campaigns run <campaignId> [--dry-run] [--at TIME] [--since DURATION] [--time-scale X] [--json] [--campaigns DIR]',
    '',
    '  --dry-run      start nothing: who would receive which template, who would be held out,',
    '                 and why the others would not (audience, re-entry, eligibility), counted',
    '  --at           trigger evaluation time (default now, or the virtual clock `winback start` saved),',
    '                 e.g. the --at of `winback score`',
    '  --since        how far back triggers look (default 30d; schedule campaigns: the audience now)',
    `  --time-scale   journey clock scale (default ${CLI_TIME_SCALE}: a 3-day wait takes ${(3 * 86400 * CLI_TIME_SCALE).toFixed(1)} s)`,
  ].join('\n'),
  options: { ...CAMPAIGNS_OPTION, 'dry-run': { type: 'boolean' }, at: { type: 'string' }, since: { type: 'string' }, 'time-scale': { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run({ dataDir, values, positionals, out, err }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the campaign');
    const at = await commandTime(dataDir, timeOption(values, 'at'), err);
    const sinceMs = values['since'] === undefined ? 30 * 86_400_000 : parseDuration(String(values['since']));
    if (sinceMs === undefined) throw new UsageError(`--since must be a duration such as 7d, got ${String(values['since'])}`);
    const scale = values['time-scale'] === undefined ? CLI_TIME_SCALE : Number(values['time-scale']);
    if (!(scale > 0 && scale <= 1)) throw new UsageError('--time-scale must be in (0, 1]');
    const dir = campaignsDir(values);
    const campaign = await loadCampaign(dir, id);
    if (campaign.status !== 'active' && !values['dry-run']) throw new UsageError(`campaign ${id} is ${campaign.status}; set status: active to run it (or use --dry-run)`);
    const summary = await withStack(dataDir, async (stack) => {
      const options = { at, sinceMs, campaignsDir: dir };
      if (values['dry-run']) return dryRunCampaign(campaignStack(stack), campaign, options);
      const { entries: _entries, ...result } = await runCampaign(campaignStack(stack), campaign, { ...options, timeScale: scale, log: err });
      return result;
    });

    if (values['json']) {
      out(JSON.stringify(summary, null, 2));
      return 0;
    }
    out(`campaign ${campaign.id}: ${summary.candidates} candidate(s)`);
    if (summary.mode === 'dry-run') {
      out('  would receive:');
      out(...[lines(summary.wouldSend).join('\n') || '    (nobody)']);
      out('  would not, because:');
      out(lines(summary.notSent).join('\n') || '    (no exclusions)');
      out('  by customer:');
      for (const l of summary.detail.slice(0, 50)) out(l);
      if (summary.detail.length > 50) out(`  ... ${summary.detail.length - 50} more (--json for all)`);
      return 0;
    }
    out(`  journeys started ${summary.started}, duplicates ${summary.duplicates}, emails sent ${summary.sends}`);
    out('  journeys:');
    out(lines(summary.outcomes).join('\n') || '    (none)');
    if (Object.keys(summary.excluded).length) {
      out('  not entered:');
      out(lines(summary.excluded).join('\n'));
    }
    out(`  executions: ${Object.entries(summary.executions).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    return summary.executions['journey FAILED'] ? 1 : 0;
  },
};

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '-');
const money = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

function metricsRow(label: string, m: OutcomeMetrics): string {
  return [label.padEnd(22), m.entered, m.sent, m.delivered, m.opened, m.clicked, m.bounced, m.complained, m.unsubscribed, m.converted, money(m.revenue), pct(m.conversionRate), money(m.revenuePerCustomer)]
    .map((v, i) => (i === 0 ? String(v) : String(v).padStart(i >= 10 ? 9 : 7)))
    .join(' ');
}

export function formatReport(r: CampaignReport): string[] {
  const u = r.uplift;
  const header = ['group'.padEnd(22), 'entered', 'sent', 'deliv', 'opened', 'clicked', 'bounced', 'compl', 'unsub', 'conv', 'revenue', 'conv %', 'rev/cust']
    .map((v, i) => (i === 0 ? v : v.padStart(i >= 10 ? 9 : 7)))
    .join(' ');
  const out = [
    `campaign ${r.campaignId}: outcomes as of ${r.asOf}, attribution window ${r.attributionWindowMs / 86_400_000} days from entry`,
    header,
    metricsRow('treatment', r.treatment),
    metricsRow('holdout', r.holdout),
  ];
  for (const v of r.variants) {
    out.push(metricsRow(`  variant ${v.variant}`, v.treatment));
    out.push(metricsRow(`  holdout ${v.variant}`, v.holdout));
  }
  out.push('');
  out.push(
    `uplift, conversion rate:     ${pct(u.conversion.estimate)} (95% CI ${pct(u.conversion.lower)} to ${pct(u.conversion.upper)}, Newcombe hybrid score)`,
  );
  out.push(
    `uplift, revenue / customer:  ${money(u.revenuePerCustomer.estimate)} (95% CI ${money(u.revenuePerCustomer.lower)} to ${money(u.revenuePerCustomer.upper)}, Welch t, df ${u.revenuePerCustomer.degreesOfFreedom.toFixed(1)})`,
  );
  for (const v of r.variants.filter(() => r.variants.length > 1)) {
    out.push(`  variant ${v.variant} vs holdout: conversion ${pct(v.uplift.conversion.estimate)} (${pct(v.uplift.conversion.lower)} to ${pct(v.uplift.conversion.upper)}), revenue/customer ${money(v.uplift.revenuePerCustomer.estimate)} (${money(v.uplift.revenuePerCustomer.lower)} to ${money(v.uplift.revenuePerCustomer.upper)})`);
  }
  out.push(`journeys: ${Object.entries(r.journeys).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  if (Object.keys(r.exitReasons).length) out.push(`exits: ${Object.entries(r.exitReasons).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return out;
}

export const campaignsReportCommand: CliCommand = {
  name: 'campaigns report',
  summary: 'outcomes per variant, treatment vs holdout: funnel, conversions, revenue, uplift with 95% CI',
  help: 'usage: winback campaigns report <campaignId> [--at TIME] [--json] [--campaigns DIR]\n\n  --at  count outcomes up to this time (default now, or the virtual clock `winback start` saved)',
  options: { ...CAMPAIGNS_OPTION, json: { type: 'boolean' }, at: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out, err }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the campaign');
    const asOf = await commandTime(dataDir, timeOption(values, 'at'), err);
    const campaign = await loadCampaign(campaignsDir(values), id);
    const report = await withStack(dataDir, (stack) => campaignReport(stack.tableName, campaign, asOf));
    if (values['json']) out(JSON.stringify(report, null, 2));
    else for (const line of formatReport(report)) out(line);
    return 0;
  },
};

export const CAMPAIGN_COMMANDS: readonly CliCommand[] = [
  campaignsListCommand,
  campaignsValidateCommand,
  campaignsPreviewCommand,
  campaignsRunCommand,
  campaignsReportCommand,
];
