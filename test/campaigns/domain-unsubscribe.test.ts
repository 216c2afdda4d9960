import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as unsubscribeHandler } from '../../functions/unsubscribe-http.js';
import { checkEligibility, capsFromConfig } from '../../functions/campaigns/eligibility.js';
import { getConfig } from '../../functions/commons/config.js';
import { renderMessage } from '../../functions/campaigns/render.js';
import { sendCampaignEmail } from '../../functions/campaigns/send.js';
import { signToken, unsubscribeLinks } from '../../functions/campaigns/tokens.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';
import { queryAll } from '../../functions/store/query.js';
import { getSuppressions } from '../../functions/store/suppression.js';
import { useLocalStack } from '../helpers/stack.js';
import { identify, mailsTo, pointCampaignsAt, TEST_SECRET, useCampaignEnvironment } from './domain-helpers.js';

useCampaignEnvironment();
const stackOf = useLocalStack();

beforeAll(async () => {
  const stack = stackOf();
  pointCampaignsAt(stack);
  // what the lead wires in the local runtime (and API Gateway routes in CDK)
  stack.runtime.addRoute('*', '/unsubscribe', unsubscribeHandler, { functionName: 'winback-unsubscribe-http' });
  stack.runtime.addRoute('*', '/preferences', unsubscribeHandler, { functionName: 'winback-unsubscribe-http' });
  await identify(stack, 'u-1', { email: 'ada@example.com', firstName: 'Ada', consent: { marketing: true } });
  await identify(stack, 'u-2', { email: 'grace@example.com', firstName: 'Grace' });
  await stack.drain({ timeoutMs: 30_000 });
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const now = () => new Date();

/** Sends a real campaign email and returns the List-Unsubscribe URL found in the stored mail. */
async function mailAndLink(customerId: string, email: string, topic = 'marketing'): Promise<string> {
  const stack = stackOf();
  const links = unsubscribeLinks({ customerId, email, topic, campaignId: 'unsub-test', variant: 'B' }, { baseUrl: stack.apiUrl, now: now(), ttlDays: 30 });
  const message = await renderMessage({
    template: 'at-risk-nudge',
    templatesDir: path.resolve('campaigns/templates'),
    customer: { customerId, traits: {} },
    campaign: { id: 'unsub-test', name: 'Unsubscribe test' },
    variant: 'B',
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
  });
  const sent = await sendCampaignEmail({
    table: stack.tableName, campaign: { id: 'unsub-test' }, customerId, stepId: 's1', entryId: `e-${topic}`, variant: 'B', group: 'treatment', message, to: email,
  });
  expect(sent.status).toBe('sent');
  const mail = (await mailsTo(stack, email)).at(-1)!;
  const header = mail.headers?.find((h) => h.name === 'List-Unsubscribe')?.value ?? '';
  const url = /^<(.+)>$/.exec(header)?.[1];
  expect(url).toBeDefined();
  expect(mail.body.text).toContain(url);
  return url!;
}

async function subscriptionEvents(customerId: string) {
  return (await queryCustomerEvents(stackOf().tableName, customerId)).filter((e) => e.kind === 'email' && e.name === 'subscription');
}

async function patchCount(customerId: string): Promise<number> {
  const items = await queryAll({
    TableName: stackOf().tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': `C#${customerId}`, ':p': 'P#' },
    ConsistentRead: true,
  });
  return items.length;
}

describe('one-click unsubscribe (RFC 8058)', () => {
  it('GET shows a confirmation page and changes nothing; POST unsubscribes, once; the next check sends nothing', async () => {
    const stack = stackOf();
    const url = await mailAndLink('u-1', 'ada@example.com');
    const patchesBefore = await patchCount('u-1');

    // GET (a link scanner, or the customer clicking): a page with a button, no change
    const page = await fetch(url);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1]?.replaceAll('&#61;', '=');
    // relative, so it also works behind a stage path: the form posts back to this very link
    expect(new URL(action!, url).href).toBe(url);
    expect(html).toContain('a***@example.com');
    expect(html).not.toContain('ada@example.com');
    expect((await getProfile(stack.tableName, 'u-1'))?.consent['marketing']?.granted).toBe(true);
    expect(await patchCount('u-1')).toBe(patchesBefore);

    // POST as a mail client does: no cookies, no login
    const res = await fetch(url, { method: 'POST', headers: form, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect((await getProfile(stack.tableName, 'u-1'))?.consent['marketing']?.granted).toBe(false);
    const events = await subscriptionEvents('u-1');
    expect(events).toHaveLength(1);
    expect(events[0]?.email).toMatchObject({ campaignId: 'unsub-test', variant: 'B', unsubscribedTopics: ['marketing'] });

    // idempotent: again, nothing new
    const patchesAfter = await patchCount('u-1');
    expect((await fetch(url, { method: 'POST', headers: form, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    expect(await patchCount('u-1')).toBe(patchesAfter);
    expect(await subscriptionEvents('u-1')).toHaveLength(1);

    // the next run sends them nothing
    const eligibility = await checkEligibility({
      table: stack.tableName, campaign: { id: 'next', topic: 'marketing', transactional: false }, customerId: 'u-1',
      profile: await getProfile(stack.tableName, 'u-1'), now: new Date('2026-01-15T12:00:00Z'), caps: capsFromConfig(getConfig()),
    });
    expect(eligibility).toEqual({ eligible: false, reason: 'no-consent' });
  });

  it('rejects altered, forged, expired and missing tokens with an HTML page, changing nothing', async () => {
    const stack = stackOf();
    const good = signToken({ customerId: 'u-2', email: 'grace@example.com', topic: '*' }, { secret: TEST_SECRET });
    const [payload, sig] = good.split('.') as [string, string];
    const altered = `${Buffer.from(JSON.stringify({ v: 1, c: 'u-1', e: 'grace@example.com', t: '*' })).toString('base64url')}.${sig}`;
    const forged = signToken({ customerId: 'u-2', email: 'grace@example.com', topic: '*' }, { secret: 'another-secret-of-at-least-32-characters' });
    const expired = signToken({ customerId: 'u-2', email: 'grace@example.com', topic: '*', exp: 1_000_000 }, { secret: TEST_SECRET });
    for (const [token, status] of [[altered, 403], [forged, 403], [expired, 403], [`${payload}.`, 400], ['', 400]] as const) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${stack.apiUrl}/unsubscribe?token=${token}`, { method, headers: form, body: method === 'POST' ? 'List-Unsubscribe=One-Click' : null });
        expect(res.status, `${method} ${token.slice(0, 12)}`).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
      }
    }
    expect((await fetch(`${stack.apiUrl}/preferences?token=${altered}`)).status).toBe(403);
    expect(await getSuppressions(stack.tableName, 'grace@example.com')).toEqual([]);
    expect(await subscriptionEvents('u-2')).toHaveLength(0);
    expect((await fetch(`${stack.apiUrl}/unsubscribe?token=${good}`, { method: 'DELETE' })).status).toBe(405);
  });

  it("an unsubscribe from everything ('*') suppresses the address; the preference page can opt back in", async () => {
    const stack = stackOf();
    const url = await mailAndLink('u-2', 'grace@example.com', '*');
    expect((await fetch(url, { method: 'POST', headers: form, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    expect((await getSuppressions(stack.tableName, 'grace@example.com')).map((s) => s.reason)).toEqual(['unsubscribe']);
    expect((await getProfile(stack.tableName, 'u-2'))?.consent['*']?.granted).toBe(false);

    // preference page: every topic unchecked now
    const token = new URL(url).searchParams.get('token')!;
    const prefs = await (await fetch(`${stack.apiUrl}/preferences?token=${token}`)).text();
    expect(prefs).toContain('<input type="checkbox" name="topic" value="marketing">');
    expect(prefs).toContain('<input type="checkbox" name="topic" value="rewards">');

    // opt back in to rewards only
    const body = new URLSearchParams({ token, topic: 'rewards', action: 'save' }).toString();
    const saved = await fetch(`${stack.apiUrl}/preferences`, { method: 'POST', headers: form, body });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('You receive: rewards and loyalty points.');
    const profile = await getProfile(stack.tableName, 'u-2');
    expect(profile?.consent['rewards']?.granted).toBe(true);
    expect(profile?.consent['marketing']?.granted).toBe(false);
    expect(await getSuppressions(stack.tableName, 'grace@example.com')).toEqual([]);
    const page = await (await fetch(`${stack.apiUrl}/preferences?token=${token}`)).text();
    expect(page).toContain('value="rewards" checked');
    expect(page).toContain('<input type="checkbox" name="topic" value="marketing">');
  });
});
