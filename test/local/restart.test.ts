import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { lockDataDir, lockPath } from '../../scripts/local/data-dir-lock.js';
import { localClientConfig, startEmulators } from '../../scripts/local/emulators.js';
import { DataDirInUseError } from '../../scripts/local/errors.js';
import { startWinbackUp } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs();

/** A process that lives until killed; its pid stands for another stack holding a data dir. */
function otherProcess(): { pid: number; exited: Promise<void>; kill(): void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { pid: child.pid!, exited: new Promise((resolve) => child.on('exit', () => resolve())), kill: () => child.kill('SIGKILL') };
}

describe('one process at a time opens a data dir', () => {
  it('takes over the lock of a process that is gone (kill -9), and waits for a live one', async () => {
    // Prepare
    const dataDir = tempDir('winback-lock-');
    const gone = otherProcess();
    gone.kill();
    await gone.exited;
    await writeFile(lockPath(dataDir), `${gone.pid}\n`);
    const live = otherProcess();
    try {
      // Act
      const takenOver = await lockDataDir(dataDir, { waitMs: 0 });
      const ownPid = (await readFile(lockPath(dataDir), 'utf8')).trim();
      const whileHeldHere = await lockDataDir(dataDir, { waitMs: 200 }).catch((err: unknown) => err);
      await takenOver.release();
      await writeFile(lockPath(dataDir), `${live.pid}\n`);
      const lines: string[] = [];
      const whileLive = await lockDataDir(dataDir, { waitMs: 300, log: (l) => lines.push(l) }).catch((err: unknown) => err);
      const afterExit = lockDataDir(dataDir, { waitMs: 10_000 });
      live.kill();
      const acquired = await afterExit;
      await acquired.release();
      // Assess
      expect(ownPid).toBe(String(process.pid));
      expect(whileHeldHere).toBeInstanceOf(DataDirInUseError);
      expect(whileLive).toBeInstanceOf(DataDirInUseError);
      expect((whileLive as DataDirInUseError).pid).toBe(live.pid);
      expect(lines).toEqual([`waiting for process ${live.pid} to release ${dataDir} (a stack still stopping?)`]);
      await expect(readFile(lockPath(dataDir))).rejects.toThrow(/ENOENT/);
    } finally {
      live.kill();
    }
  });

  it('a start while `winback up` is still stopping under load waits for it, instead of dying on `Database is closed`', async () => {
    // Prepare
    const dataDir = tempDir('winback-restart-');
    const { up, apiUrl, writeKey } = await startWinbackUp(dataDir);
    try {
      const batch = (n: number): string =>
        JSON.stringify({ batch: Array.from({ length: 50 }, (_, k) => ({ type: 'track', userId: `u${k}`, event: 'Viewed', messageId: `r-${n}-${k}` })) });
      const headers = { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' };
      const answered = await Promise.all(Array.from({ length: 40 }, (_, n) => fetch(`${apiUrl}/v1/batch`, { method: 'POST', headers, body: batch(n) })));
      // Act: the next stack starts before the previous one has let go of the data dir
      const lines: string[] = [];
      const next = startEmulators({ dataDir, log: (l) => lines.push(l) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      up.child.kill('SIGINT');
      const emulators = await next;
      const code = await up.exited;
      const ddb = new DynamoDBClient(localClientConfig(emulators.endpoints.dynamodb));
      const table = await ddb.send(new DescribeTableCommand({ TableName: emulators.tableName })).finally(() => ddb.destroy());
      await emulators.stop();
      // Assess
      expect(answered.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(lines[0]).toBe(`waiting for process ${up.child.pid} to release ${dataDir} (a stack still stopping?)`);
      expect(code).toBe(0);
      expect(up.stderr).not.toContain('Database is closed');
      expect(table.Table?.TableStatus).toBe('ACTIVE');
    } finally {
      if (up.child.exitCode === null) up.child.kill('SIGKILL');
    }
  });
});
