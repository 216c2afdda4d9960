import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessageRejected, TooManyRequestsException, type SESv2Client } from '@aws-sdk/client-sesv2';
import { sesClient, setClients } from '../../functions/commons/clients.js';
import { RetryableError, ValidationError } from '../../kernel/errors.js';
import { renderMessage, type RenderedMessage } from '../../functions/campaigns/render.js';
import { isSendableAddress, messageTags, sendCampaignEmail } from '../../functions/campaigns/send.js';
import { SlidingWindowLimiter, TokenBucket } from '../../functions/campaigns/rate-limit.js';
import { unsubscribeLinks } from '../../functions/campaigns/tokens.js';
import { claimLedgerEntry, getLedgerEntry, pendingEntries, campaignLedger } from '../../functions/store/ledger.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { useLocalStack } from '../helpers/stack.js';
import { mailsTo, pointCampaignsAt, TEST_SECRET, useCampaignEnvironment } from './domain-helpers.js';

useCampaignEnvironment();
const stackOf = useLocalStack();
beforeAll(() => pointCampaignsAt(stackOf()));

const campaign = { id: 'send-test', transactional: false };
const noWait = { sleep: async () => undefined };

async function message(customerId: string, email: string): Promise<RenderedMessage> {
  const links = unsubscribeLinks(
    { customerId, email, topic: 'marketing', campaignId: campaign.id, variant: 'A' },
    { baseUrl: stackOf().apiUrl, now: new Date(), ttlDays: 30, secret: TEST_SECRET },
  );
  return renderMessage({
    template: 'winback-reminder',
    templatesDir: path.resolve('campaigns/templates'),
    customer: { customerId, traits: { firstName: 'Ada' } },
    campaign: { id: campaign.id, name: 'Send test' },
    variant: 'A',
    coupon: { code: 'WB-AAAAA-BBBBB', campaignId: campaign.id, customerId, entryId: 'e', percentOff: 10, issuedAt: '2026-01-01T00:00:00Z', validUntil: '2026-02-01T00:00:00Z' },
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
  });
}

const input = async (customerId: string, email: string, entryId = 'entry-1') => ({
  table: stackOf().tableName,
  campaign,
  customerId,
  stepId: 'offer',
  entryId,
  variant: 'A',
  group: 'treatment' as const,
  message: await message(customerId, email),
  to: email,
  template: 'winback-reminder',
});

/** Wraps the real SES client: the first calls fail with `errors`, later ones go through. */
function faultySes(errors: unknown[]): { restore: () => void; calls: () => number } {
  const real = sesClient();
  let calls = 0;
  const wrapper = Object.create(real) as SESv2Client;
  (wrapper as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    calls++;
    const error = errors.shift();
    if (error) throw error;
    return (real.send as (c: unknown) => Promise<unknown>)(command);
  };
  setClients({ ses: wrapper });
  return { restore: () => setClients({ ses: real }), calls: () => calls };
}

const throttled = () => new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } });

describe('exactly-once sending', () => {
  it('five concurrent calls for one entry send one email; the ledger says sent with the SES message id', async () => {
    const stack = stackOf();
    // Act
    const one = await input('s-1', 's1@example.com');
    const results = await Promise.all(Array.from({ length: 5 }, () => sendCampaignEmail(one)));
    // Assess
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(4);
    const mails = await mailsTo(stack, 's1@example.com');
    expect(mails).toHaveLength(1);
    const ledger = await getLedgerEntry(stack.tableName, { campaignId: campaign.id, customerId: 's-1', stepId: 'offer', entryId: 'entry-1' });
    expect(ledger).toMatchObject({ status: 'sent', messageId: mails[0]!.messageId, variant: 'A', group: 'treatment', attempts: 1 });
    // and later retries of the step are duplicates too
    expect((await sendCampaignEmail(one)).status).toBe('duplicate');
    expect(await mailsTo(stack, 's1@example.com')).toHaveLength(1);
  });

  it('the stored mail carries the RFC 8058 headers, subject, both parts', async () => {
    const stack = stackOf();
    await sendCampaignEmail(await input('s-2', 's2@example.com'));
    const [mail] = await mailsTo(stack, 's2@example.com');
    const headers = Object.fromEntries((mail?.headers ?? []).map((h) => [h.name, h.value]));
    expect(headers['List-Unsubscribe']).toMatch(new RegExp(`^<${stack.apiUrl}/unsubscribe\\?token=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>$`));
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail?.subject).toMatch(/^Ada, your 10% code expires/);
    expect(mail?.body.html).toContain('WB-AAAAA-BBBBB');
    expect(mail?.body.text).toContain('Unsubscribe: ');
  });

  it('publishes the Send and Delivery events AWS would, tagged with campaign and variant', async () => {
    const stack = stackOf();
    await sendCampaignEmail(await input('s-3', 's3@example.com'));
    await stack.drain({ timeoutMs: 30_000 });
    const events = (await queryCustomerEvents(stack.tableName, 's-3')).filter((e) => e.kind === 'email');
    const [mail] = await mailsTo(stack, 's3@example.com');
    expect(events.map((e) => e.name).sort()).toEqual(['delivery', 'send']);
    for (const e of events) expect(e.email).toMatchObject({ messageId: mail!.messageId, campaignId: campaign.id, variant: 'A' });
  });

  it('a holdout entry is recorded and sends nothing', async () => {
    const stack = stackOf();
    const base = await input('h-1', 'h1@example.com');
    const result = await sendCampaignEmail({ ...base, group: 'holdout' });
    expect(result).toEqual({ status: 'holdout' });
    expect((await sendCampaignEmail({ ...base, group: 'holdout' })).status).toBe('duplicate');
    expect(await mailsTo(stack, 'h1@example.com')).toHaveLength(0);
    const ledger = await campaignLedger(stack.tableName, campaign.id);
    expect(ledger.find((e) => e.customerId === 'h-1')).toMatchObject({ status: 'holdout', group: 'holdout' });
  });

  it('retries SES throttling with backoff and sends once', async () => {
    const stack = stackOf();
    const fault = faultySes([throttled(), throttled()]);
    try {
      const result = await sendCampaignEmail(await input('t-1', 't1@example.com'), noWait);
      expect(result).toMatchObject({ status: 'sent', attempts: 3 });
      expect(fault.calls()).toBe(3);
    } finally {
      fault.restore();
    }
    expect(await mailsTo(stack, 't1@example.com')).toHaveLength(1);
  });

  it('throttled beyond the attempts: the claim is released and RetryableError thrown; the retry sends once', async () => {
    const stack = stackOf();
    const one = await input('t-2', 't2@example.com');
    const fault = faultySes([throttled(), throttled(), throttled()]);
    try {
      await expect(sendCampaignEmail(one, { ...noWait, maxThrottleAttempts: 3 })).rejects.toBeInstanceOf(RetryableError);
    } finally {
      fault.restore();
    }
    const key = { campaignId: campaign.id, customerId: 't-2', stepId: 'offer', entryId: 'entry-1' };
    expect(await getLedgerEntry(stack.tableName, key)).toMatchObject({ status: 'released' });
    expect(await mailsTo(stack, 't2@example.com')).toHaveLength(0);
    expect((await sendCampaignEmail(one)).status).toBe('sent');
    expect(await getLedgerEntry(stack.tableName, key)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await mailsTo(stack, 't2@example.com')).toHaveLength(1);
  });

  it('a permanent refusal is recorded with its reason and not retried', async () => {
    const stack = stackOf();
    const one = await input('p-1', 'p1@example.com');
    const fault = faultySes([new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } })]);
    try {
      const result = await sendCampaignEmail(one, noWait);
      expect(result).toMatchObject({ status: 'failed', reason: 'MessageRejected: Email address is not verified.' });
      const again = await sendCampaignEmail(one, noWait);
      expect(again).toMatchObject({ status: 'duplicate', ledger: { status: 'failed' } });
      expect(fault.calls()).toBe(1);
    } finally {
      fault.restore();
    }
    expect(await mailsTo(stack, 'p1@example.com')).toHaveLength(0);
  });

  it('a crash after the ledger write never leads to a second email: the entry stays pending for the reconciler', async () => {
    const stack = stackOf();
    const one = await input('x-1', 'x1@example.com');
    // a send that crashed after claiming (the process died before or while calling SES)
    await claimLedgerEntry(stack.tableName, {
      campaignId: campaign.id, customerId: 'x-1', stepId: 'offer', entryId: 'entry-1',
      variant: 'A', group: 'treatment', transactional: false, status: 'pending', claimId: 'crashed', now: new Date(Date.now() - 3_600_000),
    });
    expect((await sendCampaignEmail(one)).status).toBe('duplicate');
    // a connection lost after the request left: the outcome is unknown, so it is not retried either
    const lost = await input('x-2', 'x2@example.com');
    const fault = faultySes([Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })]);
    try {
      expect(await sendCampaignEmail(lost, noWait)).toMatchObject({ status: 'pending' });
      expect((await sendCampaignEmail(lost, noWait)).status).toBe('duplicate');
    } finally {
      fault.restore();
    }
    expect(await mailsTo(stack, 'x1@example.com')).toHaveLength(0);
    expect(await mailsTo(stack, 'x2@example.com')).toHaveLength(0);
    const stale = await pendingEntries(stack.tableName, campaign.id, new Date(Date.now() - 60_000));
    expect(stale.map((e) => e.customerId)).toEqual(['x-1']);
  });
});

describe('message tags and the rate limit', () => {
  it('sanitises tags and leaves out a customer id that is not tag-safe', () => {
    expect(messageTags({ campaign: { id: 'winback' }, variant: 'A', customerId: 'c-1', stepId: 'offer', tags: { 'run id': 'r:1' } })).toEqual({
      run_id: 'r_1', campaign: 'winback', variant: 'A', step: 'offer', customer: 'c-1',
    });
    expect(messageTags({ campaign: { id: 'w' }, variant: 'A', customerId: 'user@example.com', stepId: 's' })).not.toHaveProperty('customer');
  });

  it('the token bucket spaces calls beyond the burst at the configured rate', async () => {
    let t = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket(5, 5, { now: () => t, sleep: async (ms) => void slept.push(ms) });
    for (let i = 0; i < 10; i++) await bucket.take();
    // 5 immediately, then reservations 200 ms apart (no clock movement in between)
    expect(slept.map((ms) => Math.round(ms))).toEqual([200, 400, 600, 800, 1000]);
    t = 10_000;
    slept.length = 0;
    await bucket.take();
    expect(slept).toEqual([]);
  });
});

describe('addresses with control characters', () => {
  it('are not sendable (the send step skips them with reason invalid-email); ordinary addresses are', () => {
    for (const bad of ['ada@example.com\r\nBcc: eve@example.com', 'ada@example.com\n', 'ada\t@example.com', 'a@b.com, eve@example.com', '', undefined]) {
      expect(isSendableAddress(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const good of ['ada@example.com', 'ada.lovelace+news@mail.example.co.uk', 'zoë@example.com']) expect(isSendableAddress(good)).toBe(true);
  });

  it('a send to one is refused before the ledger or SES is touched (never repaired into another address)', async () => {
    const ses = faultySes([]);
    try {
      const bad = await input('crlf-customer', 'ada@example.com\r\nBcc: eve@example.com');
      await expect(sendCampaignEmail(bad, noWait)).rejects.toBeInstanceOf(ValidationError);
      expect(ses.calls()).toBe(0);
      expect(await getLedgerEntry(stackOf().tableName, { campaignId: campaign.id, customerId: 'crlf-customer', stepId: 'offer', entryId: 'entry-1' })).toBeUndefined();
    } finally {
      ses.restore();
    }
  });
});

describe('the send rate limiter', () => {
  it('grants at most the rate in any one-second window, to every caller, in call order (a token bucket would let burst + rate through in the first second)', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const limiter = new SlidingWindowLimiter(14, 5, clock);
    const granted: Array<{ caller: number; at: number }> = [];
    await Promise.all(Array.from({ length: 50 }, (_, caller) => limiter.take().then(() => void granted.push({ caller, at: t }))));
    expect(granted.map((g) => g.caller)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const times = granted.map((g) => g.at);
    const worst = Math.max(...times.map((start) => times.filter((x) => x >= start && x < start + 1000).length));
    expect(worst).toBe(14);
  });
});
