import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile } from '../../functions/store/profiles.js';
import { isSuppressed } from '../../functions/store/suppression.js';
import { winbackJson } from '../helpers/cli.js';
import { DEMO_DATA } from '../helpers/demo-data.js';
import { copyDemoData } from '../helpers/fixtures-root.js';
import { useLocalStack } from '../helpers/stack.js';

/**
 * Issue 4's acceptance, as a new user runs it: a simulated population, trained and scored twice
 * (a crossing needs a previous score; the shared demo data dir, test/helpers/demo-data.ts), then the shipped high-value win-back campaign through the
 * local Step Functions and SES. Mail is read back from the local SES inbox; the unsubscribe link
 * is followed with plain HTTP, as a mail client would.
 */

interface InboxMail {
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

interface DryRun {
  readonly candidates: number;
  readonly wouldSend: Record<string, number>;
  readonly notSent: Record<string, number>;
  readonly detail: readonly string[];
}

const SECOND_SCORE = DEMO_DATA.scores[1];
/** A 3-day wait takes ~6.5 s: room to unsubscribe between the offer and the reminder. */
const TIME_SCALE = '0.000025';

const stack = useLocalStack({ populate: copyDemoData });
let dataDir = '';
let campaignsDir = '';

async function inbox(): Promise<InboxMail[]> {
  const res = await fetch(new URL('store', stack().inboxUrl));
  return ((await res.json()) as { emails: InboxMail[] }).emails;
}

const header = (m: InboxMail, name: string): string | undefined => m.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
const recipient = (m: InboxMail): string => m.destination.to[0] ?? '';
const customerOf = (email: string): string => email.slice(0, email.indexOf('@'));
const verdicts = (run: DryRun, verdict: string): string[] =>
  run.detail.filter((l) => l.trim().endsWith(verdict)).map((l) => l.trim().split(/\s+/)[0] ?? '');

beforeAll(async () => {
  dataDir = stack().dataDir;
  // The shipped campaigns plus a weekly newsletter to the win-back tiers, to see who a later send reaches.
  campaignsDir = mkdtempSync(join(tmpdir(), 'winback-campaigns-'));
  cpSync('campaigns', campaignsDir, { recursive: true });
  writeFileSync(
    join(campaignsDir, 'weekly-picks.yaml'),
    [
      'id: weekly-picks',
      'name: Weekly picks',
      'status: active',
      'topic: marketing',
      'trigger: { type: schedule, cron: "0 10 * * 3" }',
      'audience: { tiers: [diamond, gold] }',
      'holdout: 0',
      'variants: [{ id: picks, weight: 1, template: at-risk-nudge }]',
      'steps: [{ id: picks, send: {} }]',
      'goal: { event: { kind: order, name: placed }, attributionWindow: 7d }',
      'reentry: { allowed: true, cooldown: 1d }',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(campaignsDir, { recursive: true, force: true });
});

describe('high-value win-back on the simulated population', () => {
  let planned: DryRun;
  let unsubscribed = '';
  let mail: InboxMail[] = [];

  it('dry-runs first: who would receive what, and why the others would not', async () => {
    planned = await winbackJson<DryRun>('campaigns', 'run', 'high-value-winback', '--dry-run', '--at', SECOND_SCORE, '--campaigns', campaignsDir, '--data-dir', dataDir);
    const treated = Object.entries(planned.wouldSend).filter(([k]) => !k.startsWith('holdout')).reduce((a, [, n]) => a + n, 0);
    expect(treated).toBeGreaterThanOrEqual(3);
    expect(Object.keys(planned.notSent).some((k) => k.includes('tier'))).toBe(true);
    expect(await inbox()).toHaveLength(0);
  });

  it('sends offers with both RFC 8058 headers; a one-click POST between offer and reminder stops the reminder', async () => {
    const run = winbackJson<{ started: number; sends: number }>(
      'campaigns', 'run', 'high-value-winback', '--at', SECOND_SCORE, '--time-scale', TIME_SCALE, '--campaigns', campaignsDir, '--data-dir', dataDir,
    );
    // The first offer to land: unsubscribe that customer before their reminder is due.
    let first: InboxMail | undefined;
    const deadline = Date.now() + 30_000;
    while (!first && Date.now() < deadline) {
      first = (await inbox())[0];
      if (!first) await new Promise((r) => setTimeout(r, 50));
    }
    expect(first, 'no email reached the local inbox').toBeDefined();
    const link = header(first!, 'List-Unsubscribe')!.replace(/^<|>$/g, '');
    expect(link.startsWith(`${stack().apiUrl}/unsubscribe?token=`)).toBe(true);
    unsubscribed = customerOf(recipient(first!));

    // GET shows a confirmation page and changes nothing.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect((await getProfile(stack().tableName, unsubscribed))?.consent?.['marketing']?.granted).not.toBe(false);
    // POST with the RFC 8058 body unsubscribes, no cookie, no login.
    const post = await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.status).toBe(200);
    expect((await getProfile(stack().tableName, unsubscribed))?.consent?.['marketing']?.granted).toBe(false);

    const result = await run;
    expect(result.started).toBe(planned.candidates);
    mail = await inbox();
    expect(mail.length).toBe(result.sends);
    for (const m of mail) {
      expect(header(m, 'List-Unsubscribe')).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=[\w-]+\.[\w-]+>$/);
      expect(header(m, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      // The same link is in the body, for people (HTML-escaped in the attribute).
      const url = header(m, 'List-Unsubscribe')!.slice(1, -1);
      expect(m.body.html?.replace(/&#61;/g, '=')).toContain(url);
      expect(m.body.text).toContain(url);
    }
    const perCustomer = new Map<string, string[]>();
    for (const m of mail) perCustomer.set(customerOf(recipient(m)), [...(perCustomer.get(customerOf(recipient(m))) ?? []), m.subject]);
    // Everyone treated got the offer and the reminder, except the one who left in between.
    expect(perCustomer.get(unsubscribed)).toHaveLength(1);
    const others = [...perCustomer.entries()].filter(([c]) => c !== unsubscribed);
    expect(others.length).toBeGreaterThanOrEqual(2);
    for (const [, subjects] of others) expect(subjects).toHaveLength(2);
  }, 120_000);

  it('never mails suppressed, non-consenting or held-out customers', async () => {
    const excluded = [...verdicts(planned, 'ineligible: suppressed'), ...verdicts(planned, 'ineligible: no-consent')];
    const heldOut = planned.detail.filter((l) => l.includes('holdout (')).map((l) => l.trim().split(/\s+/)[0] ?? '');
    expect(excluded.length).toBeGreaterThan(0);
    const mailed = new Set(mail.map((m) => customerOf(recipient(m))));
    for (const c of [...excluded, ...heldOut]) expect(mailed.has(c), c).toBe(false);
    // And checked independently of the dry run: no recipient was suppressed or without consent
    // (the customer who unsubscribed during the run only lost consent after their offer).
    for (const m of mail) {
      const c = customerOf(recipient(m));
      expect(await isSuppressed(stack().tableName, recipient(m)), c).toBe(false);
      if (c !== unsubscribed) expect((await getProfile(stack().tableName, c))?.consent?.['marketing']?.granted, c).not.toBe(false);
    }
  });

  it('a later campaign to the same tiers reaches consenting customers but not the one who unsubscribed', async () => {
    const before = (await inbox()).length;
    const at = '2026-09-16T10:05:00Z';
    const plan = await winbackJson<DryRun>('campaigns', 'run', 'weekly-picks', '--dry-run', '--at', at, '--campaigns', campaignsDir, '--data-dir', dataDir);
    expect(verdicts(plan, 'ineligible: no-consent')).toContain(unsubscribed);
    const result = await winbackJson<{ sends: number }>('campaigns', 'run', 'weekly-picks', '--at', at, '--campaigns', campaignsDir, '--data-dir', dataDir);
    const after = (await inbox()).slice(before);
    expect(after.length).toBe(result.sends);
    expect(after.length).toBeGreaterThan(10);
    expect(after.map((m) => customerOf(recipient(m)))).not.toContain(unsubscribed);
  }, 120_000);

  it('a second run of the win-back campaign starts no journey twice', async () => {
    const before = (await inbox()).length;
    const again = await winbackJson<{ started: number; duplicates: number; sends: number }>(
      'campaigns', 'run', 'high-value-winback', '--at', SECOND_SCORE, '--campaigns', campaignsDir, '--data-dir', dataDir,
    );
    expect(again.sends).toBe(0);
    expect((await inbox()).length).toBe(before);
  }, 60_000);
});
