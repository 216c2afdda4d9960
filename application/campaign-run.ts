import { assignGroup } from '../functions/campaigns/assignment.js';
import { resolveSend, type CampaignDefinition } from '../functions/campaigns/definition/schema.js';
import { capsFromConfig, checkEligibility } from '../functions/campaigns/eligibility.js';
import { getConfig } from '../functions/commons/config.js';
import { resolveAudience } from '../functions/journeys/audience.js';
import { customerEntries, listEntries, type EntryRecord } from '../functions/store/journey-entries.js';
import { reentryDecision } from '../functions/journeys/reentry.js';
import type { JourneyInput } from '../functions/journeys/journey-state.js';
import type { JourneyStarter } from '../functions/journeys/starter.js';
import { sweepCampaign } from '../functions/journeys/triggers.js';
import { getProfile } from '../functions/store/profiles.js';
import type { SendReasons } from '../functions/campaigns/reasons.js';
import { planTargeting, type TargetingPlan } from '../functions/campaigns/targeting-plan.js';

/**
 * Running a campaign by hand: evaluate its trigger at a time, then either start the journeys and
 * wait for them (`winback campaigns run`, and every active campaign of `winback start`), or say
 * who would receive what and why the others would not (`--dry-run`).
 *
 * The journeys run on whatever Step Functions the caller's stack provides: the use case only
 * needs the port below (the local stack implements it in scripts/local/journeys.ts).
 */
export interface JourneyExecution {
  readonly machine: string;
  readonly status: string;
}

/** A journey runner the caller can wait on: starts journeys, then reports their executions. */
export interface JourneyRunner extends JourneyStarter {
  /** Resolves once no execution is queued or running. */
  idle(): Promise<void>;
  readonly executions: ReadonlyMap<string, JourneyExecution>;
  close(): void;
}

/** What running a campaign needs from the stack it runs on. */
export interface CampaignStack {
  readonly tableName: string;
  /** Points the process's campaign configuration at this stack and at the campaigns directory. */
  useCampaigns(campaignsDir: string): Promise<void>;
  journeyRunner(opts: { readonly timeScale: number }): Promise<JourneyRunner>;
  /** Resolves when the stack's queues are empty and nothing is being processed. */
  drain(opts?: { readonly timeoutMs?: number }): Promise<void>;
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

export interface CampaignDryRun {
  readonly mode: 'dry-run';
  readonly candidates: number;
  /** Template (variant) or holdout -> customers. */
  readonly wouldSend: Record<string, number>;
  /** Reason -> customers (or trigger facts, for those outside the audience). */
  readonly notSent: Record<string, number>;
  /** One line per candidate: `  <customerId>  <verdict>`. */
  readonly detail: string[];
  /** Targeted campaigns: one record per candidate with its reason codes (scores, uplift, expected value, coupon step, arbitration). */
  readonly recipients?: DryRunRecipient[];
  /** Targeted campaigns: the plan's totals. */
  readonly targeting?: { readonly by: string; readonly selected: number; readonly plannedSpend: number; readonly budgetLeft: number | null; readonly upliftModel?: string };
}

export interface DryRunRecipient {
  readonly customerId: string;
  readonly verdict: string;
  readonly targeted: boolean;
  readonly group: string;
  readonly variant: string;
  readonly reasons?: SendReasons;
  /** Another campaign wanted the customer too: the winner and the runner-up. */
  readonly decision?: { readonly winner: { campaignId: string; value: number }; readonly runnerUp?: { campaignId: string; value: number } };
}

interface Candidates {
  readonly inputs: JourneyInput[];
  readonly excluded: Record<string, number>;
  readonly fanout: boolean;
}

const runIdOf = (at: Date): string => `run-${at.toISOString().replace(/[^0-9TZ]/g, '')}`;

const tally = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

async function findCandidates(table: string, campaign: CampaignDefinition, at: Date, sinceMs: number): Promise<Candidates> {
  if (campaign.trigger.type === 'schedule') {
    const audience = await resolveAudience(table, campaign, at);
    const trigger = { type: 'manual' as const, at: at.toISOString() };
    return {
      inputs: audience.members.map((m) => ({ campaignId: campaign.id, customerId: m.customerId, triggerId: runIdOf(at), trigger })),
      excluded: audience.excluded,
      fanout: true,
    };
  }
  const dryRun = (): Promise<never> => Promise.reject(new Error('dry run'));
  const sweep = await sweepCampaign({ table, now: at, lookbackMs: sinceMs, dryRun: true, starter: { startJourney: dryRun, startFanout: dryRun } }, campaign);
  return { inputs: sweep.candidates.map((c) => c.input), excluded: sweep.filtered, fanout: false };
}

/**
 * Evaluates the trigger at `at`, starts the journeys (or the audience fan-out) on the stack's
 * Step Functions and waits until they and the queues are done.
 */
export async function runCampaign(stack: CampaignStack, campaign: CampaignDefinition, opts: CampaignRunOptions): Promise<CampaignRunResult> {
  await stack.useCampaigns(opts.campaignsDir);
  const found = await findCandidates(stack.tableName, campaign, opts.at, opts.sinceMs);
  const runner = await stack.journeyRunner({ timeScale: opts.timeScale });
  try {
    let started = 0;
    let duplicates = 0;
    if (found.fanout) {
      const r = await runner.startFanout({ campaignId: campaign.id, runId: runIdOf(opts.at) });
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

/** A recipient's reason codes in one line: `rank 3, churn 0.72, CLV 410.00, uplift 0.081, EV 18.20, coupon 10`. */
export function reasonsText(r: SendReasons): string {
  const parts = [`rank ${r.rank}`, `churn ${r.churn.toFixed(2)}`, `CLV ${r.clv.toFixed(2)}`];
  if (r.uplift !== undefined) parts.push(`uplift ${r.uplift.toFixed(3)}`);
  if (r.expectedValue !== undefined) parts.push(`EV ${r.expectedValue.toFixed(2)}`);
  if (r.incentive) parts.push(`coupon ${r.incentive.step}${r.incentive.unit === 'percent' ? '%' : ` ${r.incentive.currency ?? ''}`.trimEnd()}`);
  if (r.decision?.runnerUp) parts.push(`won over ${r.decision.runnerUp.campaignId} (${r.decision.runnerUp.value.toFixed(2)})`);
  return parts.join(', ');
}

/**
 * Who would receive which template, who would be held out, and why the others would not
 * (audience, re-entry, eligibility), counted: starts nothing and writes nothing.
 */
export async function dryRunCampaign(stack: CampaignStack, campaign: CampaignDefinition, opts: Omit<CampaignRunOptions, 'timeScale' | 'log'>): Promise<CampaignDryRun> {
  const { at } = opts;
  const table = stack.tableName;
  await stack.useCampaigns(opts.campaignsDir);
  const found = await findCandidates(table, campaign, at, opts.sinceMs);
  const caps = capsFromConfig(getConfig());
  const wouldSend: Record<string, number> = {};
  const notSent: Record<string, number> = Object.fromEntries(Object.entries(found.excluded).map(([k, v]) => [`not in audience / trigger: ${k}`, v]));
  const detail: string[] = [];
  let limitLeft = campaign.sendLimitPerRun ?? Infinity;
  // Targeted (schedule) campaigns: the same plan the fan-out computes, over the audience found above.
  let plan: TargetingPlan | undefined;
  if (campaign.targeting && found.fanout) {
    const members = await resolveAudience(table, campaign, at);
    plan = await planTargeting({ table, campaignsDir: opts.campaignsDir, registryUri: getConfig().MODEL_REGISTRY_URI, now: at, runId: runIdOf(at) }, campaign, members.members);
  }
  const recipients: DryRunRecipient[] = [];
  const verdicts = new Map<string, string>();
  const note = (customerId: string, verdict: string): void => {
    const r = plan?.decisions.get(customerId)?.reasons;
    detail.push(`  ${customerId}  ${verdict}${r ? `  [${reasonsText(r)}]` : ''}`);
    verdicts.set(customerId, verdict);
  };
  for (const input of found.inputs) {
    const planned = plan?.decisions.get(input.customerId);
    if (plan) {
      const a = planned?.arbitration;
      const record = {
        customerId: input.customerId,
        group: planned?.group ?? '-',
        variant: planned?.variant ?? '-',
        ...(planned?.reasons ? { reasons: planned.reasons } : {}),
        ...(a ? { decision: { winner: a.winner, ...(a.runnerUp ? { runnerUp: a.runnerUp } : {}) } } : {}),
      };
      if (!planned?.selected) {
        const why = planned?.why ?? 'not in the targeting plan';
        tally(notSent, `not targeted: ${why.replace(/ \(.*\)$/, '')}`);
        detail.push(`  ${input.customerId}  not targeted: ${why}`);
        recipients.push({ ...record, targeted: false, verdict: `not targeted: ${why}` });
        continue;
      }
      recipients.push({ ...record, targeted: true, verdict: '' });
    }
    const previous = await customerEntries(table, campaign.id, input.customerId);
    const reentry = reentryDecision(previous, campaign.reentry, at, input.triggerId);
    const a = assignGroup(campaign.id, input.customerId, campaign.holdout, campaign.variants);
    let verdict: string;
    // The journey's execution name is deterministic: this trigger instance already ran.
    if (previous.some((e) => e.triggerId === input.triggerId)) verdict = 'already entered for this trigger';
    else if (!reentry.allowed) verdict = `re-entry: ${reentry.reason}`;
    else if (found.fanout && limitLeft <= 0) verdict = 'send limit per run';
    else {
      limitLeft--;
      const profile = await getProfile(table, input.customerId);
      const e = await checkEligibility({ table, campaign, customerId: input.customerId, profile, now: at, caps });
      const firstSend = campaign.steps.find((s): s is Extract<typeof s, { send: unknown }> => 'send' in s && resolveSend(campaign, s, a.variant) !== undefined);
      const template = firstSend ? resolveSend(campaign, firstSend, a.variant)!.template : '-';
      if (!e.eligible && !e.retryAt) verdict = `ineligible: ${e.reason}`;
      else if (a.group === 'holdout') verdict = `holdout (variant ${a.variant}, nothing sent)`;
      else verdict = `${template} (variant ${a.variant})${!e.eligible ? ` after ${e.reason} until ${e.retryAt}` : ''}`;
      if (verdict.startsWith(template) || verdict.startsWith('holdout')) {
        tally(wouldSend, verdict.replace(/ after .*/, ''));
        note(input.customerId, verdict);
        continue;
      }
    }
    tally(notSent, verdict);
    note(input.customerId, verdict);
  }
  if (!plan) return { mode: 'dry-run', candidates: found.inputs.length, wouldSend, notSent, detail };
  const filled = recipients.map((r) => (r.targeted ? { ...r, verdict: verdicts.get(r.customerId) ?? '' } : r));
  const selected = [...plan.decisions.values()].filter((d) => d.selected).length;
  return {
    mode: 'dry-run',
    candidates: found.inputs.length,
    wouldSend,
    notSent,
    detail,
    recipients: filled,
    targeting: {
      by: campaign.targeting!.by,
      selected,
      plannedSpend: Math.round(plan.plannedSpend * 100) / 100,
      budgetLeft: Number.isFinite(plan.budgetLeft) ? plan.budgetLeft : null,
      ...(plan.upliftModel ? { upliftModel: plan.upliftModel } : {}),
    },
  };
}

/** One campaign's run as a summary counts it: journeys, emails, held out, skipped and why. */
export interface CampaignRunLine {
  readonly id: string;
  readonly trigger: string;
  readonly candidates: number;
  readonly journeys: number;
  /** Emails sent (treatment journeys; a journey may send more than one). */
  readonly sent: number;
  /** Journeys of the holdout group: entered, measured, sent nothing. */
  readonly heldOut: number;
  /** Treatment journeys that sent nothing, by reason (no consent, suppressed, caps...). */
  readonly skipped: Record<string, number>;
  /** Facts that did not start a journey, by reason (audience, trigger filters, already entered). */
  readonly notEntered: Record<string, number>;
  readonly failedExecutions: number;
  readonly seconds: number;
}

export function campaignRunLine(campaign: CampaignDefinition, r: CampaignRunResult, seconds: number): CampaignRunLine {
  const skipped: Record<string, number> = {};
  let sent = 0;
  let heldOut = 0;
  for (const e of r.entries) {
    if (e.group === 'holdout') {
      heldOut++;
      continue;
    }
    sent += e.sends ?? 0;
    if (!e.sends) tally(skipped, e.reason ?? e.status);
  }
  const notEntered: Record<string, number> = { ...r.excluded };
  if (r.duplicates) notEntered['already entered for this trigger'] = (notEntered['already entered for this trigger'] ?? 0) + r.duplicates;
  const failedExecutions = Object.entries(r.executions)
    .filter(([k]) => k.endsWith(' FAILED'))
    .reduce((a, [, n]) => a + n, 0);
  return { id: campaign.id, trigger: campaign.trigger.type, candidates: r.candidates, journeys: r.started, sent, heldOut, skipped, notEntered, failedExecutions, seconds };
}
