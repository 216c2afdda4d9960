import path from 'node:path';
import { resetConfig } from '../../../functions/commons/config.js';
import { renderMessage, type RenderedMessage } from '../../../functions/campaigns/render.js';
import { sendCampaignEmail, type SendResult } from '../../../functions/campaigns/send.js';
import { TokenBucket } from '../../../functions/campaigns/rate-limit.js';
import { noEmailEventPublisher } from '../../../functions/campaigns/ses-events.js';
import { unsubscribeLinks } from '../../../functions/campaigns/tokens.js';
import { getLedgerEntry } from '../../../functions/store/ledger.js';
import { isSuppressed, suppress } from '../../../functions/store/suppression.js';
import { RetryableError } from '../../../kernel/errors.js';
import { installFaultySes, serviceError, type SesFault } from './faulty-ses.js';
import { pool, SimulatedCrash, type Scenario } from './scenario.js';

/** One rendered message reused for every send (rendering is measured by template-injection). */
async function message(apiUrl: string): Promise<RenderedMessage> {
  const links = unsubscribeLinks({ customerId: 'bench', email: 'bench@example.com', topic: 'marketing', campaignId: 'bench-send' }, { baseUrl: apiUrl, now: new Date(), ttlDays: 30 });
  return renderMessage({
    template: 'winback-reminder',
    templatesDir: path.resolve('campaigns/templates'),
    customer: { customerId: 'bench', traits: { firstName: 'Ada' } },
    campaign: { id: 'bench-send', name: 'Bench' },
    variant: 'A',
    coupon: { code: 'WB-AAAAA-BBBBB', campaignId: 'bench-send', customerId: 'bench', entryId: 'e', percentOff: 10, issuedAt: '2026-01-01T00:00:00Z', validUntil: '2026-02-01T00:00:00Z' },
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
  });
}

const noWait = async (): Promise<void> => undefined;

/**
 * Sends under SES throttling (10%), quota errors (1%) and crashes just before (2.5%) and just after
 * (2.5%) the SendEmail call, each send retried as Step Functions retries a failed Task: no
 * address gets two emails, none goes to a suppressed (complained, bounced) or unsubscribed address.
 */
export const sendThrottlingCrashes: Scenario = {
  name: 'send-throttling-crashes',
  volume: 10_000,
  guarantee: 'no email is sent twice, and none to a suppressed or unsubscribed address, under throttling, quota errors and crashes around SendEmail',
  async run({ stack, operations, random }) {
    const table = stack.tableName;
    const rendered = await message(stack.apiUrl);
    const run = `r${Math.floor(random() * 1e9)}`;
    const customers = Array.from({ length: operations }, (_, i) => ({ id: `${run}-send-${i}`, email: `${run}-send-${i}@example.com`, blocked: random() < 0.15 }));
    await pool(customers.filter((c) => c.blocked), 16, async (c) => {
      await suppress(table, c.email, { reason: random() < 0.5 ? 'unsubscribe' : 'complaint', at: new Date().toISOString(), eventId: `bench-${c.id}` });
    });
    const blocked = new Set(customers.filter((c) => c.blocked).map((c) => c.email));
    const injected = { throttled: 0, quota: 0, crashBefore: 0, crashAfter: 0 };
    const ses = installFaultySes((): SesFault => {
      const r = random();
      if (r < 0.1) return (injected.throttled++, { kind: 'before', error: serviceError('TooManyRequestsException', 429) });
      if (r < 0.11) return (injected.quota++, { kind: 'before', error: serviceError('Throttling', 400) });
      if (r < 0.135) return (injected.crashBefore++, { kind: 'before', error: new SimulatedCrash('crash before SendEmail') });
      if (r < 0.16) return (injected.crashAfter++, { kind: 'after', error: new SimulatedCrash('crash after SendEmail') });
      return { kind: 'pass' };
    });
    const outcomes: Record<string, number> = {};
    let lost = 0;
    let taskRetries = 0;
    try {
      await pool(customers, 32, async (c) => {
        // The eligibility step's check (functions/campaigns/eligibility.ts), then the send step.
        if (await isSuppressed(table, c.email)) {
          outcomes['suppressed'] = (outcomes['suppressed'] ?? 0) + 1;
          return;
        }
        const input = { table, campaign: { id: 'bench-send' }, customerId: c.id, stepId: 'offer', entryId: `${c.id}-entry`, variant: 'A', group: 'treatment' as const, message: rendered, to: c.email, template: 'winback-reminder' };
        const deps = { limiter: new TokenBucket(1e6, 1e6), publisher: noEmailEventPublisher, sleep: noWait };
        let result: SendResult | undefined;
        // Step Functions retries a failed Task; a crash (unknown outcome) is retried too.
        for (let attempt = 0; attempt < 20 && (result === undefined || result.status === 'pending'); attempt++) {
          try {
            result = await sendCampaignEmail(input, deps);
          } catch (error) {
            if (!(error instanceof RetryableError)) throw error;
          }
          if (result === undefined || result.status === 'pending') taskRetries++;
        }
        outcomes[result?.status ?? 'retries-exhausted'] = (outcomes[result?.status ?? 'retries-exhausted'] ?? 0) + 1;
        if (!(await getLedgerEntry(table, { campaignId: 'bench-send', customerId: c.id, stepId: 'offer', entryId: `${c.id}-entry` }))) lost++;
      });
    } finally {
      ses.restore();
    }
    const reached = new Map<string, number>();
    for (const call of ses.calls) {
      if (!call.reachedSes) continue;
      const to = call.input['Destination']?.['ToAddresses']?.[0] as string;
      reached.set(to, (reached.get(to) ?? 0) + 1);
    }
    let duplicated = 0;
    let toBlocked = 0;
    for (const [to, n] of reached) {
      if (n > 1) duplicated += n - 1;
      if (blocked.has(to)) toBlocked += n;
    }
    return { operations, lost, duplicated, violations: toBlocked, notes: { ...injected, taskRetries, ...outcomes, emails: [...reached.values()].reduce((a, b) => a + b, 0) } };
  },
};

/**
 * Sends at the configured MaxSendRate (SES_MAX_SEND_RATE=14) through the product's own limiter,
 * 50 senders at once: no one-second window holds more than 14 SendEmail calls, none is dropped.
 */
export const sendRateCap: Scenario = {
  name: 'send-rate-cap',
  volume: 1_000,
  // Over two seconds of sends: fewer would never reach the cap.
  minimum: 40,
  guarantee: 'SendEmail calls never exceed MaxSendRate in any one-second window, and none is dropped',
  async run({ stack, operations, random }) {
    const rate = 14;
    const previous = process.env['SES_MAX_SEND_RATE'];
    process.env['SES_MAX_SEND_RATE'] = String(rate);
    resetConfig();
    const rendered = await message(stack.apiUrl);
    const run = `r${Math.floor(random() * 1e9)}`;
    const ses = installFaultySes(() => ({ kind: 'pass' }));
    let sent = 0;
    try {
      await pool(Array.from({ length: operations }, (_, i) => i), 50, async (i) => {
        const out = await sendCampaignEmail(
          { table: stack.tableName, campaign: { id: 'bench-rate' }, customerId: `${run}-rate-${i}`, stepId: 'offer', entryId: `${run}-rate-${i}`, variant: 'A', group: 'treatment', message: rendered, to: `${run}-rate-${i}@example.com` },
          { publisher: noEmailEventPublisher },
        );
        if (out.status === 'sent') sent++;
      });
    } finally {
      ses.restore();
      if (previous === undefined) delete process.env['SES_MAX_SEND_RATE'];
      else process.env['SES_MAX_SEND_RATE'] = previous;
      resetConfig();
    }
    const times = ses.calls.map((c) => c.at).sort((a, b) => a - b);
    let worst = 0;
    let windowsOver = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      worst = Math.max(worst, j - i);
      if (j - i > rate) windowsOver++;
    }
    const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
    return { operations, lost: operations - sent, duplicated: 0, violations: windowsOver, notes: { maxPerSecondWindow: worst, rate, seconds: Math.round(seconds * 10) / 10 } };
  },
};
