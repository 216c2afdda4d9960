import path from 'node:path';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCampaignPause } from '../../functions/store/campaign-pauses.js';
import { mountConsole } from '../../scripts/console/mount.js';
import { useLocalStack } from '../helpers/stack.js';
import { CHROMIUM, ChromiumMissingError, waitReady } from './browser.js';

/**
 * The pause switch in a real browser (Chromium): the console's own page pauses and resumes a
 * campaign (the browser's own Origin and Sec-Fetch-Site pass the local same-origin check), and a
 * page of another origin cannot (its JSON POST needs a preflight the console never grants; its
 * form-like POST is refused 403). The stack is empty: only the switch is looked at.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const CAMPAIGN = 'high-value-winback';
const stack = useLocalStack();
let browser: Browser;
let base = '';

beforeAll(async () => {
  mountConsole(stack().runtime, { dataDir: stack().dataDir, tableName: stack().tableName, campaignsDir: path.join(ROOT, 'campaigns') });
  base = stack().apiUrl.replace(/\/$/, '');
  if (!existsSync(CHROMIUM)) throw new ChromiumMissingError(`the console tests need chromium at ${CHROMIUM}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
afterAll(async () => {
  await browser?.close();
});

const paused = async (): Promise<boolean> => (await getCampaignPause(stack().tableName, CAMPAIGN))?.paused ?? false;

describe('pause switch in the browser', () => {
  it('pauses and resumes from the campaign page', async () => {
    const page = await browser.newPage();
    const posts: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST') posts.push(r.status());
    });
    await page.goto(`${base}/console/#/campaigns/${CAMPAIGN}`);
    await waitReady(page);
    await page.getByTestId('pause-campaign').click();
    await page.getByTestId('resume-campaign').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('paused-switch').textContent()).toContain('paused');
    expect(await paused()).toBe(true);
    await page.getByTestId('resume-campaign').click();
    await page.getByTestId('pause-campaign').waitFor({ timeout: 20_000 });
    expect(await paused()).toBe(false);
    expect(posts).toEqual([200, 200]);
    await page.close();
  });

  it('refuses the same requests from a page of another origin', async () => {
    // localhost and 127.0.0.1 are different origins (and sites): the "other site" here.
    const page = await browser.newPage();
    await page.goto(`${base.replace('127.0.0.1', 'localhost')}/console/favicon.svg`);
    const target = `${base}/console/api/campaigns/${CAMPAIGN}/pause`;
    const outcome = await page.evaluate(async (url) => {
      const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
        (r) => `status ${r.status}`,
        (e: Error) => `blocked: ${e.name}`,
      );
      // What a form can send without a preflight; the answer is opaque, the state is what counts.
      await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined);
      return json;
    }, target);
    expect(outcome).toBe('blocked: TypeError');
    expect(await paused()).toBe(false);
    await page.close();
  });
});
