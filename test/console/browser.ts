import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * The browser side of the console tests: Debian's chromium driven by playwright-core, pages that
 * fail on any console error or warning, page error, failed request or HTTP error, and helpers to
 * read what a page shows and what its charts hold.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('test-output/console');

export class ChromiumMissingError extends Error {}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new ChromiumMissingError(`the console tests need chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  // Only this run's screenshots (version ids change with every training run).
  await rm(SCREENSHOT_DIR, { recursive: true, force: true });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface ConsolePage {
  readonly page: Page;
  /** Everything that went wrong in the page so far; a test ends by expecting it empty. */
  readonly problems: string[];
}

export async function openConsole(browser: Browser, apiUrl: string, route: string): Promise<ConsolePage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${apiUrl}/console/#/${route}`);
  await waitReady(page);
  return { page, problems };
}

/** Waits for the router to finish the current page; fails with the page's text if it shows an error. */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('main[data-state="ready"], main[data-state="error"]', { timeout: 30_000 });
  const state = await page.getAttribute('main', 'data-state');
  if (state !== 'ready') throw new Error(`the console page failed: ${await page.textContent('main')}`);
}

export async function text(page: Page, testid: string): Promise<string> {
  const t = await page.getByTestId(testid).first().textContent();
  if (t === null) throw new Error(`no text in [data-testid=${testid}]`);
  return t.trim();
}

/** A number as the console formats it: "49,676.13", "+5", "−1,412.61", "78.3%", "±0.00 pts". */
export function parseShown(shown: string): number {
  const cleaned = shown.replace(/,/g, '').replace(/−/g, '-').replace(/±/g, '').replace(/pts|%|\+/g, '').trim();
  const n = Number(cleaned);
  if (cleaned === '' || !Number.isFinite(n)) throw new Error(`not a number: "${shown}"`);
  return n;
}

export async function number(page: Page, testid: string): Promise<number> {
  return parseShown(await text(page, testid));
}

export interface ChartInfo {
  readonly width: number;
  readonly height: number;
  readonly type: string;
  readonly datasets: Array<{ label: string; data: unknown[] }>;
  /** Canvas pixels that are not transparent: the chart was actually drawn. */
  readonly paintedPixels: number;
}

/** The Chart.js instance on a canvas, its data and how much of the canvas it painted. */
export async function chartInfo(page: Page, testid: string): Promise<ChartInfo> {
  // Runs in the page (the project's TS has no DOM types: the page's globals are typed loosely here).
  const info = await page.evaluate((id) => {
    const page = globalThis as unknown as { document: { querySelector(s: string): any }; Chart: { getChart(c: unknown): any } };
    const canvas = page.document.querySelector(`canvas[data-testid="${id}"]`);
    if (!canvas) return null;
    const chart = page.Chart.getChart(canvas);
    const pixels: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    return {
      width: canvas.getBoundingClientRect().width,
      height: canvas.getBoundingClientRect().height,
      type: chart ? String(chart.config.type) : '',
      datasets: chart ? chart.data.datasets.map((d: { label?: string; data: unknown[] }) => ({ label: String(d.label ?? ''), data: [...d.data] })) : [],
      paintedPixels: painted,
    };
  }, testid);
  if (!info) throw new Error(`no canvas [data-testid=${testid}]`);
  return info;
}

/** Expects a drawn chart with data and returns it. */
export async function expectChart(page: Page, testid: string): Promise<ChartInfo> {
  const info = await chartInfo(page, testid);
  expect(info.width, `${testid} width`).toBeGreaterThan(100);
  expect(info.height, `${testid} height`).toBeGreaterThan(50);
  expect(info.type, `${testid} is a Chart.js chart`).not.toBe('');
  expect(info.datasets.length, `${testid} datasets`).toBeGreaterThan(0);
  expect(info.datasets[0]!.data.length, `${testid} data`).toBeGreaterThan(0);
  expect(info.paintedPixels, `${testid} painted`).toBeGreaterThan(1000);
  return info;
}

/**
 * A full-page screenshot under test-output/console/. The viewport is first made as tall as the
 * page: Chromium leaves out-of-process iframes (the sandboxed email preview) blank in the parts of
 * a full-page capture that lie below the viewport.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const height = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(Math.max(height, 900), 12_000) });
  await page.waitForTimeout(150);
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
