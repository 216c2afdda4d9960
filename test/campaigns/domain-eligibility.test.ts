import { beforeAll, describe, expect, it } from 'vitest';
import { checkEligibility, consentAllows, quietHoursEnd, type EligibilityCaps } from '../../functions/campaigns/eligibility.js';
import { claimLedgerEntry } from '../../functions/store/ledger.js';
import { getProfile } from '../../functions/store/profiles.js';
import { suppress } from '../../functions/store/suppression.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { identify, pointCampaignsAt, useCampaignEnvironment } from './domain-helpers.js';

useCampaignEnvironment();
const stackOf = useLocalStack();

const caps: EligibilityCaps = {
  consentMode: 'opt-out',
  frequencyCap: { max: 3, windowMs: 7 * 86_400_000 },
  quietHours: { start: '21:00', end: '08:00' },
  defaultTimezone: 'UTC',
};
const marketing = { id: 'elig', topic: 'marketing', transactional: false, goal: { event: { kind: 'order' as const, name: 'placed' }, attributionWindow: 14 * 86_400_000 } };
const transactional = { ...marketing, id: 'elig-tx', topic: 'rewards', transactional: true };
/** 12:00 in London in January: outside quiet hours. */
const noon = new Date('2026-01-15T12:00:00Z');

beforeAll(async () => {
  const stack = stackOf();
  pointCampaignsAt(stack);
  await identify(stack, 'ok', { email: 'ok@example.com', timezone: 'Europe/London', consent: { marketing: true } });
  await identify(stack, 'plain', { email: 'plain@example.com' });
  await identify(stack, 'noemail', { firstName: 'Nobody' });
  await identify(stack, 'bounced', { email: 'bounced@example.com' });
  await identify(stack, 'optout', { email: 'optout@example.com', consent: { marketing: false } });
  await identify(stack, 'allout', { email: 'allout@example.com', consent: { '*': false } });
  await identify(stack, 'back', { email: 'back@example.com', consent: { '*': false } }, '2026-01-01T00:00:00Z');
  await identify(stack, 'back', { email: 'back@example.com', consent: { marketing: true } }, '2026-01-02T00:00:00Z');
  await identify(stack, 'busy', { email: 'busy@example.com' });
  await identify(stack, 'ny', { email: 'ny@example.com', timezone: 'America/New_York' });
  await identify(stack, 'mars', { email: 'mars@example.com', timezone: 'Mars/Olympus_Mons' });
  await identify(stack, 'buyer', { email: 'buyer@example.com' });
  const order = await post(stack, '/v1/orders', {
    orderId: 'o-elig-1', status: 'placed', customerId: 'buyer', currency: 'GBP', total: 20, items: [], timestamp: '2026-01-10T10:00:00Z',
  });
  expect(order.status).toBe(200);
  await stack.drain({ timeoutMs: 30_000 });
  await suppress(stack.tableName, 'Bounced@example.com', { reason: 'bounce', at: '2026-01-05T00:00:00.000Z', eventId: 'ses:x' });
});

async function check(customerId: string, opts: { now?: Date; campaign?: typeof marketing; caps?: EligibilityCaps; enteredAt?: string } = {}) {
  const stack = stackOf();
  return checkEligibility({
    table: stack.tableName,
    campaign: opts.campaign ?? marketing,
    customerId,
    profile: await getProfile(stack.tableName, customerId),
    now: opts.now ?? noon,
    caps: opts.caps ?? caps,
    ...(opts.enteredAt ? { enteredAt: opts.enteredAt } : {}),
  });
}

describe('eligibility at send time', () => {
  it('a consenting customer with an address, outside quiet hours, is eligible', async () => {
    expect(await check('ok')).toEqual({ eligible: true });
  });

  it('no profile or no address: no-email', async () => {
    expect(await check('never-heard-of')).toEqual({ eligible: false, reason: 'no-email' });
    expect(await check('noemail')).toEqual({ eligible: false, reason: 'no-email' });
  });

  it('a suppressed address: suppressed, transactional mail too', async () => {
    expect(await check('bounced')).toEqual({ eligible: false, reason: 'suppressed' });
    expect(await check('bounced', { campaign: transactional })).toEqual({ eligible: false, reason: 'suppressed' });
  });

  it('consent: opt-outs block; soft opt-in in opt-out mode; explicit grant needed in opt-in mode', async () => {
    expect(await check('optout')).toEqual({ eligible: false, reason: 'no-consent' });
    expect(await check('allout')).toEqual({ eligible: false, reason: 'no-consent' });
    expect(await check('plain')).toEqual({ eligible: true });
    const optIn = { ...caps, consentMode: 'opt-in' as const };
    expect(await check('plain', { caps: optIn })).toEqual({ eligible: false, reason: 'no-consent' });
    expect(await check('ok', { caps: optIn })).toEqual({ eligible: true });
    // the later explicit choice wins: unsubscribed from all, then opted back in to marketing
    expect(await check('back', { caps: optIn })).toEqual({ eligible: true });
    // transactional mail ignores '*' (not marketing) but honours its own topic
    expect(await check('allout', { campaign: transactional })).toEqual({ eligible: true });
    const txOnMarketing = { ...transactional, topic: 'marketing' };
    expect(await check('optout', { campaign: txOnMarketing })).toEqual({ eligible: false, reason: 'no-consent' });
  });

  it('frequency cap across campaigns: 3 marketing emails in 7 days; retryAt when the oldest leaves the window; transactional exempt', async () => {
    const table = stackOf().tableName;
    const entry = (campaignId: string, daysAgo: number, tx = false) =>
      claimLedgerEntry(table, {
        campaignId, customerId: 'busy', stepId: 's', entryId: 'e', variant: 'A', group: 'treatment', transactional: tx,
        status: 'pending', claimId: `c-${campaignId}`, now: new Date(noon.getTime() - daysAgo * 86_400_000),
      });
    await entry('old', 8);
    await entry('c1', 5);
    await entry('c2', 2);
    await entry('tx', 1, true);
    expect(await check('busy')).toEqual({ eligible: true });
    await entry('c3', 1);
    expect(await check('busy')).toEqual({ eligible: false, reason: 'frequency-cap', retryAt: new Date(noon.getTime() + 2 * 86_400_000).toISOString() });
    expect(await check('busy', { campaign: transactional })).toEqual({ eligible: true });
  });

  it('quiet hours in the customer timezone: delayed to 08:00 local, never dropped', async () => {
    // 22:00 in New York (EST, UTC-5)
    expect(await check('ny', { now: new Date('2026-01-15T03:00:00Z') })).toEqual({ eligible: false, reason: 'quiet-hours', retryAt: '2026-01-15T13:00:00.000Z' });
    // 12:00 UTC is 07:00 in New York: still quiet, ends in an hour
    expect(await check('ny', { now: noon })).toEqual({ eligible: false, reason: 'quiet-hours', retryAt: '2026-01-15T13:00:00.000Z' });
    // an invalid timezone falls back to the default (UTC)
    expect(await check('mars', { now: new Date('2026-01-15T22:30:00Z') })).toEqual({ eligible: false, reason: 'quiet-hours', retryAt: '2026-01-16T08:00:00.000Z' });
    expect(await check('mars', { now: noon })).toEqual({ eligible: true });
  });

  it('exit: the goal event since entry ends the journey', async () => {
    expect(await check('buyer', { enteredAt: '2026-01-09T00:00:00Z' })).toEqual({ eligible: false, reason: 'exited' });
    expect(await check('buyer', { enteredAt: '2026-01-11T00:00:00Z' })).toEqual({ eligible: true });
  });
});

describe('consent and quiet-hour rules (pure)', () => {
  const state = (granted: boolean, at: string) => ({ granted, at, source: 'web' });
  it('the most recent explicit choice between the topic and * wins; a tie is the opt-out', () => {
    expect(consentAllows({ marketing: state(true, '2026-01-02'), '*': state(false, '2026-01-01') }, 'marketing', false, 'opt-in')).toBe(true);
    expect(consentAllows({ marketing: state(true, '2026-01-01'), '*': state(false, '2026-01-02') }, 'marketing', false, 'opt-out')).toBe(false);
    expect(consentAllows({ marketing: state(true, '2026-01-01'), '*': state(false, '2026-01-01') }, 'marketing', false, 'opt-out')).toBe(false);
    expect(consentAllows({ '*': state(true, '2026-01-01') }, 'rewards', false, 'opt-in')).toBe(true);
    expect(consentAllows({}, 'rewards', false, 'opt-in')).toBe(false);
    expect(consentAllows({}, 'rewards', true, 'opt-in')).toBe(true);
  });

  it('quiet hours across a DST change and in a window that does not wrap midnight', () => {
    // 2026-03-08 01:30 EST; clocks jump to EDT at 02:00, so 08:00 local is 12:00 UTC
    expect(quietHoursEnd(new Date('2026-03-08T06:30:00Z'), 'America/New_York', caps)?.toISOString()).toBe('2026-03-08T12:00:00.000Z');
    // Asia/Kolkata (UTC+5:30): 23:00 local -> 08:00 next day local = 02:30 UTC
    expect(quietHoursEnd(new Date('2026-01-15T17:30:00Z'), 'Asia/Kolkata', caps)?.toISOString()).toBe('2026-01-16T02:30:00.000Z');
    const lunch = { quietHours: { start: '12:00', end: '14:00' }, defaultTimezone: 'UTC' };
    expect(quietHoursEnd(new Date('2026-01-15T13:00:00Z'), undefined, lunch)?.toISOString()).toBe('2026-01-15T14:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-01-15T14:00:00Z'), undefined, lunch)).toBeUndefined();
    expect(quietHoursEnd(new Date('2026-01-15T20:59:00Z'), 'UTC', caps)).toBeUndefined();
    expect(quietHoursEnd(new Date('2026-01-15T21:00:00Z'), 'UTC', caps)?.toISOString()).toBe('2026-01-16T08:00:00.000Z');
  });
});
