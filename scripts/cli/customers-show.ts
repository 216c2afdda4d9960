import { reasonsText } from '../../application/campaign-run.js';
import { customerRecord } from '../../application/customer-record.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { isSatisfactionEvent, SATISFACTION_EVENTS } from '../../kernel/events/satisfaction-event.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

/** A survey's score or a ticket's id, category and severity; never a survey comment (free text). */
function satisfactionDetail(e: StoredEvent): string {
  if (!isSatisfactionEvent(e.name)) return '';
  const p = e.properties;
  if (e.name === SATISFACTION_EVENTS.survey) return ` (${String(p['scale'])} ${String(p['score'])})`;
  const parts = [p['ticketId'], p['category'], p['severity']].filter((v) => typeof v === 'string' || typeof v === 'number');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** One line of an event for people: what happened, in a marketer's words. */
export function describeEvent(e: StoredEvent): string {
  switch (e.kind) {
    case 'order':
      return `order ${e.order?.orderId} ${e.name} ${e.order?.currency} ${e.order?.total.toFixed(2)} (${e.order?.items.length ?? 0} lines)`;
    case 'email':
      return `email ${e.name}${e.email?.campaignId ? ` [${e.email.campaignId}]` : ''}${e.email?.bounceType ? ` (${e.email.bounceType})` : ''}`;
    case 'identify':
      return `identify (${Object.keys(e.traits ?? {}).join(', ') || 'no traits'})`;
    case 'page':
      return `${e.view ?? 'page'} ${e.name}`;
    case 'group':
      return `group ${e.groupId} (${Object.keys(e.traits ?? {}).join(', ') || 'no traits'})`;
    case 'alias':
      return `alias: merged ${e.previousId} into this customer`;
    case 'track':
      return `${e.kind} ${e.name}${satisfactionDetail(e)}`;
    default:
      return `${e.kind} ${e.name}`;
  }
}

export const customersShowCommand: CliCommand = {
  name: 'customers show',
  summary: "a customer's profile, events in time order and suppression state",
  help: [
    'usage: winback customers show <customerId> [--json] [--limit N] [--data-dir DIR]',
    '',
    '      --json     the full record as JSON (all events)',
    '      --limit N  events to list in the text view, newest last (default 50)',
  ].join('\n'),
  options: { json: { type: 'boolean' }, limit: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the customer id');
    const record = await withStack(dataDir, (stack) => customerRecord(stack.tableName, id));
    if (values['json']) {
      out(JSON.stringify(record, null, 2));
      return record.found ? 0 : 1;
    }
    if (!record.found) {
      out(`no customer ${id}`);
      return 1;
    }
    const p = record.profile;
    out(`customer ${id}`);
    out(`  email       ${p?.email ?? '-'}`);
    out(`  timezone    ${p?.timezone ?? '-'}`);
    out(`  traits      ${Object.keys(p?.traits ?? {}).join(', ') || '-'}`);
    out(`  consent     ${Object.entries(p?.consent ?? {}).map(([t, c]) => `${t}=${c.granted ? 'yes' : 'no'}`).join(', ') || '-'}`);
    if (p?.groupId !== undefined) {
      const name = p.groups?.[p.groupId]?.['name'];
      out(`  account     ${p.groupId}${typeof name === 'string' ? ` (${name})` : ''}${Object.keys(p.groups ?? {}).length > 1 ? `; also ${Object.keys(p.groups ?? {}).filter((g) => g !== p.groupId).join(', ')}` : ''}`);
    }
    out(`  suppressed  ${record.suppressed ? record.suppressions.map((s) => `${s.reason} since ${s.at}`).join('; ') : 'no'}`);
    const sc = record.score;
    if (sc) {
      const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
      out(`  scored      ${sc.scoredAt} (churn ${sc.models.churn})`);
      out(`  churn risk  ${pct(sc.churnProbability)}${sc.atRisk ? ' (at risk)' : ''}; purchase propensity ${pct(sc.purchasePropensity)}; P(alive) ${pct(sc.pAlive)}`);
      out(`  value       ${sc.tier}, CLV 12m ${sc.clv12m.toFixed(2)}; stage ${sc.stage}`);
      for (const r of sc.reasons) out(`  why         ${r.text}`);
      if (sc.health) {
        const c = sc.health.components;
        out(`  health      ${sc.health.score}/100 (${sc.health.band}): activity ${c.activity}, interaction ${c.interaction}, satisfaction ${c.satisfaction ?? 'no answer'}, complaints ${c.complaints}`);
      }
    } else {
      out('  scored      not yet (winback score)');
    }
    out(`  messages    ${record.messages.length || '-'}`);
    for (const m of record.messages) {
      out(`    ${m.sentAt ?? m.createdAt}  ${m.campaignId} / ${m.stepId}  ${m.status} (${m.group}, variant ${m.variant}${m.template ? `, ${m.template}` : ''})`);
      if (m.reasons) out(`      why: ${reasonsText(m.reasons)}`);
    }
    for (const d of record.decisions) {
      out(`    ${d.at}  ${d.campaignId} (${d.runId}) lost to ${d.winner.campaignId}: expected value ${d.value.toFixed(2)} vs ${d.winner.value.toFixed(2)}`);
    }
    const limit = Number(values['limit'] ?? 50);
    const shown = record.events.slice(-limit);
    out(`  events      ${record.events.length}${shown.length < record.events.length ? ` (last ${shown.length} shown)` : ''}`);
    for (const e of shown) out(`    ${e.timestamp}  ${describeEvent(e)}`);
    return 0;
  },
};
