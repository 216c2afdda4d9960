import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assignGroup } from '../../functions/campaigns/assignment.js';
import { resolveSend, type CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { loadCampaign, validateCampaignFile, validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { parseDuration } from '../../functions/campaigns/duration.js';
import { capsFromConfig, checkEligibility } from '../../functions/campaigns/eligibility.js';
import { formatIssue } from '../../functions/campaigns/errors.js';
import { getConfig } from '../../functions/commons/config.js';
import { resolveAudience } from '../../functions/journeys/audience.js';
import { customerEntries, listEntries, reentryDecision, type EntryRecord } from '../../functions/journeys/entries.js';
import type { JourneyInput } from '../../functions/journeys/journey-state.js';
import { campaignReport, type CampaignReport, type OutcomeMetrics } from '../../functions/journeys/outcomes.js';
import { sweepCampaign } from '../../functions/journeys/triggers.js';
import { getProfile } from '../../functions/store/profiles.js';
import { applyCampaignEnvironment, CLI_TIME_SCALE, localJourneyRunner } from '../local/journeys.js';
import { withStack, type StackHandle } from '../local/stack.js';
import { renderPreview } from '../console/campaigns-data.js';
import { UsageError, type CliCommand, type OptionValues } from './command.js';

/**
 * `winback campaigns list | validate | preview | run | report`. Campaign files are read from
 * --dir (default ./campaigns, or CAMPAIGNS_DIR).
 */
const DIR_OPTION = { dir: { type: 'string' } } as const;

export function campaignsDir(values: OptionValues): string {
  const dir = typeof values['dir'] === 'string' ? values['dir'] : (process.env['CAMPAIGNS_DIR'] ?? 'campaigns');
  return path.resolve(dir);
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
  help: 'usage: winback campaigns list [--dir DIR] [--json]',
  options: { ...DIR_OPTION, json: { type: 'boolean' } },
  async run({ values, out }) {
    const results = await validateCampaigns(campaignsDir(values));
    if (values['json']) {
      out(JSON.stringify(results.map((r) => ({ file: r.file, valid: r.errors.length === 0, campaign: r.campaign ?? null })), null, 2));
      return 0;
    }
    for (const r of results) {
      const c = r.campaign;
      if (!c) {
        out(`${path.basename(r.file)}  INVALID (${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}: winback campaigns validate)`);
        continue;
      }
      out(`${c.id}  [${c.status}]  ${c.name}`);
      out(`    trigger ${c.trigger.type}: ${describeTrigger(c)}; topic ${c.topic}; holdout ${Math.round(c.holdout * 100)}%`);
      out(`    variants ${c.variants.map((v) => `${v.id} (${v.template}, w${v.weight})`).join(', ')}; steps ${c.steps.map((s) => s.id).join(' -> ')}`);
    }
    return 0;
  },
};

export const campaignsValidateCommand: CliCommand = {
  name: 'campaigns validate',
  summary: 'check campaign files: every error names the file, the path inside it and the reason',
  help: 'usage: winback campaigns validate [FILE...] [--dir DIR]\n\nWithout files, validates every *.yaml of the directory.',
  options: DIR_OPTION,
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
    'usage: winback campaigns preview <campaignId> --customer <id> [--step STEP] [--out FILE] [--dir DIR]',
    '',
    '  --step  the send step to render (default the first one the customer would receive)',
    '  --out   HTML file to write (default <data-dir>/previews/<campaign>-<customer>-<step>.html)',
    'Coupons are shown as a sample code; no coupon is issued and no points are credited.',
  ].join('\n'),
  options: { ...DIR_OPTION, customer: { type: 'string' }, step: { type: 'string' }, out: { type: 'string' } },
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

interface Candidates {
  readonly inputs: JourneyInput[];
  readonly excluded: Record<string, number>;
  readonly fanout: boolean;
}

async function findCandidates(stack: StackHandle, campaign: CampaignDefinition, at: Date, sinceMs: number, runId: string): Promise<Candidates> {
  if (campaign.trigger.type === 'schedule') {
    const audience = await resolveAudience(stack.tableName, campaign, at);
    return {
      inputs: audience.members.map((m) => ({ campaignId: campaign.id, customerId: m.customerId, triggerId: runId, trigger: { type: 'manual', at: at.toISOString() } })),
      excluded: audience.excluded,
      fanout: true,
    };
  }
  const sweep = await sweepCampaign(
    { table: stack.tableName, now: at, lookbackMs: sinceMs, dryRun: true, starter: { startJourney: () => Promise.reject(new Error('dry run')), startFanout: () => Promise.reject(new Error('dry run')) } },
    campaign,
  );
  return { inputs: sweep.candidates.map((c) => c.input), excluded: sweep.filtered, fanout: false };
}

export interface CampaignRunOptions {
  /** Trigger evaluation time (the run id is derived from it). */
  readonly at: Date;
  /** How far back triggers look. */
  readonly sinceMs: number;
  /** Journey clock scale (waits are real waits, scaled). */
  readonly timeScale: number;
  readonly campaignsDir: string;
  /** Progress, to stderr in the CLI. */
  readonly log?: (line: string) => void;
}

export interface CampaignRunResult {
  readonly mode: 'run';
  readonly candidates: number;
  readonly started: number;
  readonly duplicates: number;
  readonly excluded: Record<string, number>;
  readonly outcomes: Record<string, number>;
  readonly executions: Record<string, number>;
  readonly sends: number;
  /** The entries of this run's journeys (group, status, exit reason, sends), for callers that summarise. */
  readonly entries: readonly EntryRecord[];
}

/**
 * What `winback campaigns run <id>` does without --dry-run: evaluates the trigger at `at`, starts
 * the journeys (or the audience fan-out) on the local Step Functions and waits until they and the
 * queues are done. Exported so `winback start` runs campaigns with the very same code.
 */
export async function runCampaign(stack: StackHandle, campaign: CampaignDefinition, opts: CampaignRunOptions): Promise<CampaignRunResult> {
  const runId = `run-${opts.at.toISOString().replace(/[^0-9TZ]/g, '')}`;
  await applyCampaignEnvironment(stack, opts.campaignsDir);
  const found = await findCandidates(stack, campaign, opts.at, opts.sinceMs, runId);
  const runner = await localJourneyRunner(stack, { timeScale: opts.timeScale });
  try {
    let started = 0;
    let duplicates = 0;
    if (found.fanout) {
      const r = await runner.startFanout({ campaignId: campaign.id, runId });
      started = r.started ? 1 : 0;
    } else {
      for (const input of found.inputs) {
        const r = await runner.startJourney(input);
        if (r.started) started++;
        else duplicates++;
      }
    }
    opts.log?.(`running ${found.fanout ? 'the audience fan-out' : `${started} journey(s)`} (time scale ${opts.timeScale})...`);
    await runner.idle();
    await stack.drain({ timeoutMs: 60_000 });
    const entries = (await listEntries(stack.tableName, campaign.id)).filter((e) => runner.executions.has(e.executionName));
    const outcomes: Record<string, number> = {};
    for (const e of entries) tally(outcomes, `${e.group} ${e.status}${e.reason ? ` (${e.reason})` : ''}`);
    const executions: Record<string, number> = {};
    for (const x of runner.executions.values()) tally(executions, `${x.machine} ${x.status}`);
    return {
      mode: 'run',
      candidates: found.inputs.length,
      started: found.fanout ? entries.length : started,
      duplicates,
      excluded: found.excluded,
      outcomes,
      executions,
      sends: entries.reduce((s, e) => s + (e.sends ?? 0), 0),
      entries,
    };
  } finally {
    runner.close();
  }
}

const tally = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};
const lines = (m: Record<string, number>): string[] =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `    ${String(v).padStart(6)}  ${k}`);

export const campaignsRunCommand: CliCommand = {
  name: 'campaigns run',
  summary: "evaluate a campaign's trigger now and run the journeys (local Step Functions); --dry-run lists who would get what",
  help: [
    'usage: winback campaigns run <campaignId> [--dry-run] [--at TIME] [--since DURATION] [--time-scale X] [--json] [--dir DIR]',
    '',
    '  --dry-run      start nothing: who would receive which template, who would be held out,',
    '                 and why the others would not (audience, re-entry, eligibility), counted',
    '  --at           trigger evaluation time (default now), e.g. the --at of `winback score`',
    '  --since        how far back triggers look (default 30d; schedule campaigns: the audience now)',
    `  --time-scale   journey clock scale (default ${CLI_TIME_SCALE}: a 3-day wait takes ${(3 * 86400 * CLI_TIME_SCALE).toFixed(1)} s)`,
  ].join('\n'),
  options: { ...DIR_OPTION, 'dry-run': { type: 'boolean' }, at: { type: 'string' }, since: { type: 'string' }, 'time-scale': { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run({ dataDir, values, positionals, out, err }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the campaign');
    const at = values['at'] === undefined ? new Date() : new Date(String(values['at']));
    if (!Number.isFinite(at.getTime())) throw new UsageError(`--at must be an ISO time, got ${String(values['at'])}`);
    const sinceMs = values['since'] === undefined ? 30 * 86_400_000 : parseDuration(String(values['since']));
    if (sinceMs === undefined) throw new UsageError(`--since must be a duration such as 7d, got ${String(values['since'])}`);
    const scale = values['time-scale'] === undefined ? CLI_TIME_SCALE : Number(values['time-scale']);
    if (!(scale > 0 && scale <= 1)) throw new UsageError('--time-scale must be in (0, 1]');
    const dir = campaignsDir(values);
    const campaign = await loadCampaign(dir, id);
    if (campaign.status !== 'active' && !values['dry-run']) throw new UsageError(`campaign ${id} is ${campaign.status}; set status: active to run it (or use --dry-run)`);
    const runId = `run-${at.toISOString().replace(/[^0-9TZ]/g, '')}`;

    const summary = await withStack(dataDir, async (stack) => {
      if (values['dry-run']) {
        await applyCampaignEnvironment(stack, dir);
        const found = await findCandidates(stack, campaign, at, sinceMs, runId);
        const config = getConfig();
        const wouldSend: Record<string, number> = {};
        const notSent: Record<string, number> = { ...Object.fromEntries(Object.entries(found.excluded).map(([k, v]) => [`not in audience / trigger: ${k}`, v])) };
        const detail: string[] = [];
        let limitLeft = campaign.sendLimitPerRun ?? Infinity;
        for (const input of found.inputs) {
          const previous = await customerEntries(stack.tableName, campaign.id, input.customerId);
          const reentry = reentryDecision(previous, campaign.reentry, at, input.triggerId);
          const a = assignGroup(campaign.id, input.customerId, campaign.holdout, campaign.variants);
          let verdict: string;
          // The journey's execution name is deterministic: this trigger instance already ran.
          if (previous.some((e) => e.triggerId === input.triggerId)) verdict = 'already entered for this trigger';
          else if (!reentry.allowed) verdict = `re-entry: ${reentry.reason}`;
          else if (found.fanout && limitLeft <= 0) verdict = 'send limit per run';
          else {
            limitLeft--;
            const profile = await getProfile(stack.tableName, input.customerId);
            const e = await checkEligibility({ table: stack.tableName, campaign, customerId: input.customerId, profile, now: at, caps: capsFromConfig(config) });
            const firstSend = campaign.steps.find((s): s is Extract<typeof s, { send: unknown }> => 'send' in s && resolveSend(campaign, s, a.variant) !== undefined);
            const template = firstSend ? resolveSend(campaign, firstSend, a.variant)!.template : '-';
            if (!e.eligible && !e.retryAt) verdict = `ineligible: ${e.reason}`;
            else if (a.group === 'holdout') verdict = `holdout (variant ${a.variant}, nothing sent)`;
            else verdict = `${template} (variant ${a.variant})${!e.eligible ? ` after ${e.reason} until ${e.retryAt}` : ''}`;
            if (verdict.startsWith(template) || verdict.startsWith('holdout')) {
              tally(wouldSend, verdict.replace(/ after .*/, ''));
              detail.push(`  ${input.customerId}  ${verdict}`);
              continue;
            }
          }
          tally(notSent, verdict);
          detail.push(`  ${input.customerId}  ${verdict}`);
        }
        return { mode: 'dry-run' as const, candidates: found.inputs.length, wouldSend, notSent, detail };
      }
      const { entries: _entries, ...result } = await runCampaign(stack, campaign, { at, sinceMs, timeScale: scale, campaignsDir: dir, log: err });
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
  help: 'usage: winback campaigns report <campaignId> [--at TIME] [--json] [--dir DIR]\n\n  --at  count outcomes up to this time (default now)',
  options: { ...DIR_OPTION, json: { type: 'boolean' }, at: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the campaign');
    const asOf = values['at'] === undefined ? new Date() : new Date(String(values['at']));
    if (!Number.isFinite(asOf.getTime())) throw new UsageError(`--at must be an ISO time, got ${String(values['at'])}`);
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
