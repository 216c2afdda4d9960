import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A shop's web site for the browser-library tests: a second HTTP server (another port, so another
 * origin than the API) serving a page with README's "Connect your site" snippet and the library
 * files from node_modules, as a shop would serve them; no CDN is reached.
 */
const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const LIBRARY_DIR = path.join(PROJECT_ROOT, 'node_modules/@segment/analytics-next/dist/umd');
const LIBRARY_CDN_URL = /https:\/\/cdn\.jsdelivr\.net\/npm\/@segment\/analytics-next@[^/]+\/dist\/umd\/index\.js/;

/** The ```html block of README's "Connect your site" section, exactly as a reader copies it. */
export async function readmeSnippet(): Promise<string> {
  const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Connect your site\n')[1]?.split('\n## ')[0];
  const snippet = section?.match(/```html\n([\s\S]*?)```/)?.[1];
  if (!snippet) throw new Error('README has no html snippet under "## Connect your site"');
  return snippet;
}

export interface SiteOptions {
  readonly writeKey: string;
  readonly apiUrl: string;
  readonly batching: boolean;
}

/** The snippet with the values a reader fills in, the library served by this site, and batching on request. */
export function fillSnippet(snippet: string, options: SiteOptions): string {
  const api = new URL(options.apiUrl);
  const replaceOnce = (text: string, from: RegExp, to: string): string => {
    if (!from.test(text)) throw new Error(`the README snippet no longer matches ${from}`);
    return text.replace(from, to);
  };
  let page = replaceOnce(snippet, LIBRARY_CDN_URL, '/umd/index.js');
  page = replaceOnce(page, /var WINBACK_WRITE_KEY = '[^']*';/, `var WINBACK_WRITE_KEY = '${options.writeKey}';`);
  page = replaceOnce(page, /var WINBACK_API_HOST = '[^']*';/, `var WINBACK_API_HOST = '${api.host}';`);
  page = replaceOnce(page, /var WINBACK_PROTOCOL = '[^']*';/, `var WINBACK_PROTOCOL = '${api.protocol.replace(':', '')}';`);
  if (options.batching) {
    // Uncommented as the README says, with a short flush interval to keep the test fast.
    page = replaceOnce(page, /\/\/ deliveryStrategy: (.*)timeout: 5000(.*)/, 'deliveryStrategy: $1timeout: 300$2');
  }
  return page;
}

export interface Site {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `/shop.html?mode=per-event|batching` (the snippet in a page) and the library's files. */
export async function startSite(writeKey: string, apiUrl: string): Promise<Site> {
  const snippet = await readmeSnippet();
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://site.invalid');
      if (url.pathname === '/shop.html') {
        const html = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">\n${fillSnippet(snippet, {
          writeKey,
          apiUrl,
          batching: url.searchParams.get('mode') === 'batching',
        })}</head><body><h1>Shop</h1></body></html>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      // The library's files, at /umd/ and at the root (its lazy chunks load relative to the page).
      const name = path.basename(url.pathname);
      if (/^[\w.-]+\.js$/.test(name)) {
        try {
          const body = await readFile(path.join(LIBRARY_DIR, name));
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
          return;
        } catch {
          // falls through to 404
        }
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
