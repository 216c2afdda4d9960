import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateRunningStack } from '../../scripts/local/running-stack.js';
import { StackNotRespondingError } from '../../scripts/local/errors.js';
import { lockPath } from '../../scripts/local/data-dir-lock.js';

/**
 * A CLI command run while `winback up` / `npm start` serves must use that stack, however busy,
 * and never open its data dir a second time. The stand-in here is a live process holding the
 * data-dir lock and an HTTP server whose /healthz answers slowly (a stack training or scoring
 * blocks its event loop for seconds; the old check gave it 1 s and then started a second stack).
 */
let holder: ChildProcess;
let server: Server;
let delayMs = 0;
/** Requests still to answer slowly (3 s) before `delayMs` applies: a stack that is busy for a while. */
let slowRequests = 0;
let apiUrl = '';
const dirs: string[] = [];

beforeAll(async () => {
  holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  server = createServer((req, res) => {
    const wait = slowRequests > 0 ? 3_000 : delayMs;
    slowRequests = Math.max(0, slowRequests - 1);
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, service: 'winback-ingest' }));
    }, wait);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  holder.kill();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDirHeldBy(pid: number, endpointsPid = pid): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'winback-running-'));
  dirs.push(dir);
  writeFileSync(lockPath(dir), `${pid}\n`);
  writeFileSync(path.join(dir, 'endpoints.json'), JSON.stringify(endpoints(endpointsPid)));
  return dir;
}

function endpoints(pid: number): Record<string, unknown> {
  return {
    apiUrl,
    inboxUrl: `${apiUrl}/inbox`,
    writeKey: 'wk_test_0123456789',
    dynamodb: 'http://127.0.0.1:1',
    sqs: 'http://127.0.0.1:2',
    ses: 'http://127.0.0.1:3',
    tableName: 'winback',
    queues: { events: 'http://q/events', eventsDlq: 'http://q/dlq', emailEvents: 'http://q/email', emailEventsDlq: 'http://q/edlq' },
    pid,
    startedAt: new Date().toISOString(),
  };
}

describe('finding the stack another process runs on a data dir', () => {
  it('waits out a busy stack (health answered after 2.5 s, past the old 1 s) and uses it', async () => {
    delayMs = 2_500;
    const dir = dataDirHeldBy(holder.pid!);
    const found = await locateRunningStack(dir, { waitMs: 30_000, attemptTimeoutMs: 10_000 });
    expect(found?.apiUrl).toBe(apiUrl);
  });

  it('retries: two health checks time out, the third is answered; the wait is announced in one line', async () => {
    delayMs = 0;
    slowRequests = 2;
    const dir = dataDirHeldBy(holder.pid!);
    const lines: string[] = [];
    const found = await locateRunningStack(dir, { waitMs: 30_000, attemptTimeoutMs: 1_000, log: (l) => lines.push(l) });
    expect(found?.pid).toBe(holder.pid);
    expect(slowRequests).toBe(0);
    expect(lines).toEqual([`waiting for the stack running on ${dir} (process ${holder.pid}) to answer`]);
  });

  it('fails with one clear line when the holder never answers, and opens nothing in the data dir', async () => {
    delayMs = 60_000;
    const dir = dataDirHeldBy(holder.pid!);
    const before = readdirSync(dir).sort();
    const error = await locateRunningStack(dir, { waitMs: 1_500, attemptTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackNotRespondingError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(new RegExp(`process ${holder.pid}.*did not answer`));
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('keeps waiting while endpoints.json is an earlier run\'s (the holder is still starting), then fails rather than start a second stack', async () => {
    delayMs = 0;
    const dir = dataDirHeldBy(holder.pid!, 999_999);
    const error = await locateRunningStack(dir, { waitMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackNotRespondingError);
  });

  it('reports no stack when the lock is stale (its process is gone): then an embedded stack may start', async () => {
    delayMs = 0;
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.on('exit', resolve));
    const dir = dataDirHeldBy(gone.pid!);
    expect(await locateRunningStack(dir, { waitMs: 1_000 })).toBeUndefined();
  });
});
