import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleNotFoundError } from '../../application/console/errors.js';
import { file, type ConsoleResponse } from '../../application/console/responses.js';

/**
 * The console's pages: plain HTML, ES modules and CSS from ./public, served as they are (no build
 * step), and Chart.js's UMD bundle straight from node_modules. Files are read per request, so an
 * edited page shows on reload.
 */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Resolved through the package's own entry point, wherever npm put it. */
const CHART_JS_DIST = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
const VENDOR: Readonly<Record<string, string>> = {
  'chart.umd.min.js': path.join(CHART_JS_DIST, 'chart.umd.min.js'),
  'chart.umd.min.js.map': path.join(CHART_JS_DIST, 'chart.umd.min.js.map'),
};

/**
 * `rest` is the path below /console ('' or '/' for the page itself). Only files inside PUBLIC_DIR
 * with a known type are served; anything else is a 404, never a directory listing.
 */
export async function serveStatic(rest: string): Promise<ConsoleResponse> {
  if (rest === '' || rest === '/') return send(path.join(PUBLIC_DIR, 'index.html'));
  if (rest.startsWith('/vendor/')) {
    const vendored = VENDOR[rest.slice('/vendor/'.length)];
    if (!vendored) throw new ConsoleNotFoundError(`no vendor file ${rest}`);
    return send(vendored);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new ConsoleNotFoundError('not a file path');
  }
  const target = path.resolve(PUBLIC_DIR, `.${path.posix.normalize(decoded)}`);
  if (!target.startsWith(PUBLIC_DIR) || decoded.includes('\0')) throw new ConsoleNotFoundError('not a console file');
  return send(target);
}

async function send(target: string): Promise<ConsoleResponse> {
  const type = CONTENT_TYPES[path.extname(target)];
  if (!type) throw new ConsoleNotFoundError(`no console file ${path.basename(target)}`);
  let body: Buffer;
  try {
    body = await readFile(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new ConsoleNotFoundError(`no console file ${path.basename(target)}`);
    throw err;
  }
  return file(type, body, { html: type.startsWith('text/html') });
}
