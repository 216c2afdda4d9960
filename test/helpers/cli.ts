import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CliCommand } from '../../scripts/cli/command.js';
import { runCli } from '../../scripts/cli/main.js';

/**
 * The one way tests run `winback`: in this process through runCli (fast, and it sees the stack a
 * test started), or as a child process where the command owns its process (`up`, `start`) or where
 * "another process attaches to the running stack" is what is under test.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(PROJECT_ROOT, 'scripts/bin/winback.mjs');

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs a `winback` command in this process, capturing what it prints. */
export async function winback(...argv: string[]): Promise<CliResult> {
  return winbackWith(argv);
}

/** The same, with the argument list given whole and, for dispatch tests, a command list of their own. */
export async function winbackWith(argv: readonly string[], commands?: readonly CliCommand[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, commands);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** `winback <argv> --json` in process, parsed; a non-zero exit throws with what the command printed. */
export async function winbackJson<T>(...argv: string[]): Promise<T> {
  const r = await winback(...argv, '--json');
  if (r.code !== 0) throw new Error(`winback ${argv.join(' ')} exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as T;
}

/** `winback <argv>` in a child process; resolves to its stdout, rejects on a non-zero exit. */
export async function winbackProcess(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...argv], { cwd: PROJECT_ROOT, env, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** A long-running `winback` child process whose output accumulates as it arrives. */
export interface WinbackChild {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** `detached`: in a process group of its own, which `process.kill(-child.pid, signal)` ends whole. */
export function spawnWinback(argv: readonly string[], opts: { detached?: boolean } = {}): WinbackChild {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: opts.detached ?? false });
  const c: WinbackChild = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (b: Buffer) => (c.stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (c.stderr += b.toString()));
  return c;
}

/**
 * Polls the child's stdout until `read` finds what it waits for; throws with the child's output
 * when the deadline passes or the child exits first.
 */
export async function waitForStdout<T>(c: WinbackChild, read: (stdout: string) => T | undefined, timeoutMs: number, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = read(c.stdout);
    if (found !== undefined) return found;
    if (Date.now() > deadline || c.child.exitCode !== null) {
      throw new Error(`winback ${c.child.spawnargs.slice(2).join(' ')}: not ready\n${c.stdout}\n${c.stderr.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A `winback up` child process that is serving, with what it printed. */
export interface RunningWinbackUp {
  readonly up: WinbackChild;
  readonly stdout: string;
  readonly apiUrl: string;
  readonly inboxUrl: string;
  readonly writeKey: string;
}

/** Starts `winback up --port 0` on a data dir and waits until it serves; kills it if it never does. */
export async function startWinbackUp(dataDir: string, opts: { detached?: boolean } = {}): Promise<RunningWinbackUp> {
  const up = spawnWinback(['up', '--port', '0', '--data-dir', dataDir], opts);
  try {
    const stdout = await waitForStdout(up, (out) => (out.includes('Ctrl-C to stop') ? out : undefined), 45_000);
    const printed = (label: string, pattern: RegExp): string => {
      const value = pattern.exec(stdout)?.[1];
      if (!value) throw new Error(`winback up printed no ${label}:\n${stdout}`);
      return value;
    };
    return {
      up,
      stdout,
      apiUrl: printed('API URL', /API\s+(http:\/\/\S+)/),
      inboxUrl: printed('inbox URL', /Inbox\s+(http:\/\/\S+)/),
      writeKey: printed('write key', /Write key\s+(wk_local_\w+)/),
    };
  } catch (err) {
    up.child.kill('SIGKILL');
    throw err;
  }
}

/** What `winback events count --json` prints. */
export interface EventCounts {
  readonly total: number;
  readonly byKind: Record<string, number>;
  readonly customers: number;
}
