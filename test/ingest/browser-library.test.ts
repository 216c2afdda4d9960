import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../helpers/stack.js';
import { launchChromium } from '../console/browser.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { startSite, type Site } from './site.js';

/**
 * The unmodified browser library (@segment/analytics-next) in Chromium, loaded by README's
 * snippet on a page served from another origin than the API: what a shop's web site does.
 */
const stackOf = useLocalStack();
let browser: Browser;
let site: Site;

beforeAll(async () => {
  const stack = stackOf();
  [browser, site] = await Promise.all([launchChromium(), startSite(stack.writeKey, stack.apiUrl)]);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

interface Visit {
  readonly page: Page;
  /** Method and path of every request the page sent to the API, and each answer's status. */
  readonly calls: string[];
  readonly problems: string[];
}

async function visit(mode: 'per-event' | 'batching'): Promise<Visit> {
  // A fresh context: a visitor of its own (analytics.js keeps its ids in the origin's storage).
  const context = await browser.newContext({ timezoneId: 'Europe/London', locale: 'en-GB' });
  const page = await context.newPage();
  const calls: string[] = [];
  const problems: string[] = [];
  const api = stackOf().apiUrl;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    if (r.url().startsWith(api)) calls.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
  });
  await page.goto(`${site.url}/shop.html?mode=${mode}&utm_source=newsletter&utm_medium=email&utm_campaign=spring`);
  return { page, calls, problems };
}

/** What a shop's pages do once the visitor signs in: identify, then five product views. */
async function browse(page: Page, userId: string): Promise<void> {
  await page.evaluate(async (id) => {
    type Call = (...args: unknown[]) => Promise<unknown>;
    const analytics = (globalThis as unknown as { analytics: { identify: Call; track: Call } }).analytics;
    await analytics.identify(id, { email: `${id}@example.com`, firstName: 'Ada' });
    for (let i = 1; i <= 5; i++) await analytics.track('Product Viewed', { sku: `SKU-${i}`, price: 10 * i });
  }, userId);
}

async function storedFor(userId: string, count: number): Promise<StoredEvent[]> {
  const stack = stackOf();
  const deadline = Date.now() + 20_000;
  for (;;) {
    await stack.drain({ timeoutMs: 10_000 });
    const events = await queryCustomerEvents(stack.tableName, userId);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectStored(events: StoredEvent[]): void {
  const kinds = events.map((e) => e.kind).sort();
  expect(kinds).toEqual(['identify', 'page', 'track', 'track', 'track', 'track', 'track']);
  expect(events.filter((e) => e.kind === 'track').map((e) => e.properties['sku']).sort()).toEqual(['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5']);
  // The page view came before identify, from the anonymous visitor: it moved to the user.
  expect(events.find((e) => e.kind === 'page')?.userId).toBeDefined();
  for (const e of events) {
    expect(e.context?.campaign).toEqual({ source: 'newsletter', medium: 'email', name: 'spring' });
    expect(e.context?.userAgent).toMatch(/Chrome/);
    expect(e.context?.locale).toBe('en-GB');
  }
}

describe('the unmodified browser library, on another origin, in Chromium', () => {
  it('per-event mode: posts /v1/p, /v1/i and /v1/t (after CORS preflights) and stores 1 identify, 1 page and 5 tracks', async () => {
    // Prepare
    const { page, calls, problems } = await visit('per-event');
    // Act
    await browse(page, 'browser-per-event');
    const events = await storedFor('browser-per-event', 7);
    // Assess
    expectStored(events);
    expect(problems).toEqual([]);
    expect(new Set(calls)).toEqual(new Set(['POST /v1/p 200', 'POST /v1/i 200', 'POST /v1/t 200']));
    const profile = await getProfile(stackOf().tableName, 'browser-per-event');
    expect(profile?.email).toBe('browser-per-event@example.com');
    // The browser's timezone (context.timezone) became the profile's: quiet hours use it.
    expect(profile?.timezone).toBe('Europe/London');
    await page.context().close();
  });

  it('batching mode: posts /v1/b and stores the same', async () => {
    const { page, calls, problems } = await visit('batching');
    await browse(page, 'browser-batching');
    const events = await storedFor('browser-batching', 7);
    expectStored(events);
    expect(problems).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls)).toEqual(new Set(['POST /v1/b 200']));
    await page.context().close();
  });
});
