import type { CampaignRunLine } from '../../application/campaign-run.js';
import type { CampaignsReport, LoadReport, ResponsesReport, ScoreReport, TrainReport } from './pipeline.js';
import type { DemoMarker } from './state.js';

/**
 * The one summary `winback start` prints on stdout: as text, or as JSON with --json (the same
 * object). Counts and ids only: no emails, no names.
 */
export interface ChampionInfo {
  readonly model: string;
  readonly champion: string | null;
  readonly rocAuc?: number;
}

export interface StartSummary {
  readonly mode: 'once' | 'serve';
  /** The demo population was loaded by this run (no marker before). */
  readonly firstRun: boolean;
  /** The virtual instant the cycle ran at (the wall clock on a fresh data dir). */
  readonly at: string;
  readonly load:
    | ({ readonly status: 'loaded' | 'existing' } & LoadReport)
    | { readonly status: 'skipped'; readonly marker: DemoMarker };
  readonly models: ({ readonly status: 'trained' } & TrainReport) | { readonly status: 'not run'; readonly champions: ChampionInfo[] };
  readonly scoring: ({ readonly status: 'scored' } & ScoreReport) | { readonly status: 'not run' };
  readonly campaigns: ({ readonly status: 'run' } & CampaignsReport) | { readonly status: 'not run' };
  /** Simulated opens, clicks and orders of the recipients (first run only). */
  readonly responses?: ResponsesReport;
  /** Seconds per step, and in all (including the stack's start). */
  readonly timings: Record<string, number>;
  readonly urls: { readonly api: string; readonly inbox: string; readonly console: string; readonly dataDir: string };
  readonly writeKey: string;
  readonly clock: { readonly speed: number; readonly schedules: ReadonlyArray<{ readonly job: string; readonly schedule: string }> };
  /** Why the exit code is not 0 (failed journeys...); empty when all went well. */
  readonly problems: string[];
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const auc = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));
const reasons = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
const total = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

const TIERS = ['diamond', 'gold', 'silver', 'bronze'];
const KINDS = ['identify', 'page', 'track', 'order', 'email'];

export function describeSpeed(speed: number): string {
  if (speed === 0) return 'off (--clock-speed 0): no scheduled jobs';
  const perMinute = (speed * 60) / 86_400;
  const pace = perMinute >= 1 ? `${+perMinute.toFixed(2)} simulated day${perMinute === 1 ? '' : 's'} per minute` : `${+(speed / 60).toFixed(2)} simulated minutes per second`;
  return `x${fmt(speed)} (${pace})`;
}

function loadLines(s: StartSummary): string[] {
  const l = s.load;
  if (l.status === 'skipped') {
    const m = l.marker;
    const what = m.source === 'simulated' ? `the demo population (${fmt(m.customers)} customers, ${fmt(m.events?.total ?? 0)} events)` : `existing data (${fmt(m.customers)} customers)`;
    return [`loaded      nothing: the data dir already holds ${what}, since ${m.loadedAt.slice(0, 10)} (winback reset to start over)`];
  }
  if (l.status === 'existing') return [`loaded      nothing: the store already had ${fmt(l.customers)} customers (no demo population on top)`];
  const byKind = l.events ? KINDS.filter((k) => l.events!.byKind[k] !== undefined).map((k) => `${k} ${fmt(l.events!.byKind[k]!)}`) : [];
  return [
    `loaded      ${fmt(l.customers)} customers, ${fmt(l.events?.total ?? 0)} events in ${l.seconds.toFixed(1)} s (${l.start?.slice(0, 10)} .. ${l.end?.slice(0, 10)}, seed ${l.seed})`,
    `            ${byKind.join(', ')}`,
  ];
}

function modelLines(s: StartSummary): string[] {
  const m = s.models;
  if (m.status === 'not run') {
    const champions = m.champions.map((c) => `${c.model} ${c.champion ?? '(none)'}${c.rocAuc !== undefined ? ` ROC-AUC ${auc(c.rocAuc)}` : ''}`);
    return [`models      not trained on this start; champions: ${champions.join('; ')}`];
  }
  const out: string[] = [];
  for (const line of [m.churn, m.propensity]) {
    if (!line) continue;
    const decision = line.decision === 'promoted' ? 'new model promoted' : `trained ${line.trained} ROC-AUC ${auc(line.trainedRocAuc)} kept as challenger`;
    out.push(
      `${out.length ? '            ' : 'models      '}${line.model.padEnd(11)} champion ROC-AUC ${auc(line.championRocAuc)} vs best baseline ${auc(line.bestBaseline.rocAuc)} (${line.bestBaseline.name}); ${decision}`,
    );
  }
  out.push(`            ${'clv'.padEnd(11)} fit ${m.clv.fit}${m.clv.fit === 'degenerate' ? ' (regularised)' : ''} on ${fmt(m.clv.customers)} customers; ${m.clv.decision}   (${m.seconds.toFixed(1)} s)`);
  return out;
}

function scoringLines(s: StartSummary): string[] {
  const c = s.scoring;
  if (c.status === 'not run') return [`scoring     not run on this start (${s.clock.speed > 0 ? 'next: the daily 04:00 tick of the virtual clock' : 'schedules off: --clock-speed 0'})`];
  const tiers = TIERS.map((t) => `${t} ${fmt(c.byTier[t] ?? 0)}`).join(', ');
  return [
    `scoring     ${fmt(c.customers)} customers at ${c.scoredAt.slice(0, 16)}Z${c.skipped ? ` (${fmt(c.skipped)} skipped: newer score stored)` : ''}; at risk ${fmt(c.atRisk)} (churn >= ${c.crossings.threshold}; stage at-risk ${fmt(c.atRiskStage)}); crossings of ${c.crossings.threshold} up ${fmt(c.crossings.up)}, down ${fmt(c.crossings.down)}   (${c.seconds.toFixed(1)} s)`,
    `            tiers: ${tiers}`,
  ];
}

function campaignRow(c: CampaignRunLine, width: number): string {
  const skipped = total(c.skipped);
  return [
    `            ${c.id.padEnd(width)}`,
    `sent ${fmt(c.sent).padStart(5)}`,
    `held out ${fmt(c.heldOut).padStart(4)}`,
    `skipped ${fmt(skipped).padStart(4)}${skipped ? ` (${reasons(c.skipped)})` : ''}`,
    ...(total(c.notEntered) ? [`not entered ${fmt(total(c.notEntered))}`] : []),
    ...(c.failedExecutions ? [`FAILED ${c.failedExecutions}`] : []),
  ].join('  ');
}

function campaignLines(s: StartSummary): string[] {
  const c = s.campaigns;
  if (c.status === 'not run') return [`campaigns   not run on this start (${s.clock.speed > 0 ? 'the trigger sweep runs every 15 virtual minutes' : 'schedules off: --clock-speed 0'})`];
  const sent = c.campaigns.reduce((a, x) => a + x.sent, 0);
  const width = Math.max(0, ...c.campaigns.map((x) => x.id.length));
  return [
    `campaigns   ${c.campaigns.length} run, ${fmt(sent)} emails sent   (${c.seconds.toFixed(1)} s)`,
    ...c.campaigns.map((x) => campaignRow(x, width)),
    ...(c.invalid.length ? [`            ${c.invalid.length} campaign file(s) invalid, not run: winback campaigns validate`] : []),
  ];
}

function responseLines(s: StartSummary): string[] {
  const r = s.responses;
  if (!r) return [];
  const active = r.campaigns.filter((c) => c.opened + c.orders.treatment + c.orders.holdout > 0);
  return [
    `responses   simulated (treatment effect +${Math.round(r.effect * 100)}%): ${active
      .map((c) => `${c.campaignId} ${fmt(c.opened)} opened, ${fmt(c.clicked)} clicked, ${fmt(c.orders.treatment + c.orders.holdout)} ordered`)
      .join('; ') || 'nobody to respond'}   (${r.seconds.toFixed(1)} s)`,
    '            treatment vs holdout, uplift and its 95% CI: winback campaigns report <id>, or the console',
  ];
}

export function formatSummary(s: StartSummary): string[] {
  const head =
    s.mode === 'once'
      ? `winback: one cycle done (--once)${s.firstRun ? ', demo population loaded' : ' on the existing data'}`
      : s.firstRun
        ? 'winback is up: demo population loaded, models trained, customers scored, campaigns run'
        : `winback is up on the existing data (nothing reloaded or rerun at start; ${s.clock.speed > 0 ? 'the schedules take it from here' : 'schedules off'})`;
  const timings = Object.entries(s.timings)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
  const stopped = s.mode === 'once' ? ' (stopped)' : '';
  const lines = [
    head,
    '',
    ...loadLines(s),
    ...modelLines(s),
    ...scoringLines(s),
    ...campaignLines(s),
    ...responseLines(s),
    `timings     ${timings}`,
    '',
    `  API        ${s.urls.api}${stopped}`,
    `  Inbox      ${s.urls.inbox}${stopped}`,
    `  Console    ${s.urls.console}${stopped}`,
    `  Write key  ${s.writeKey}`,
    `  Data dir   ${s.urls.dataDir}`,
  ];
  if (s.mode === 'serve') {
    lines.push(`  Clock      ${describeSpeed(s.clock.speed)}, from ${s.at.slice(0, 16)}Z`);
    if (s.clock.speed > 0) lines.push(`             ${s.clock.schedules.map((j) => `${j.job} ${j.schedule}`).join('; ')}`);
  }
  for (const p of s.problems) lines.push(`problem: ${p}`);
  if (s.mode === 'serve') lines.push('', 'Ctrl-C to stop.');
  return lines;
}
