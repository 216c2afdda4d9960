import { describe, expect, it } from 'vitest';
import { WinbackError } from '../../kernel/errors.js';
import type { CliCommand } from '../../scripts/cli/command.js';
import { describeError } from '../../scripts/cli/main.js';
import { winback, winbackWith } from '../helpers/cli.js';

/** Every failed command says what went wrong in one line on stderr and exits non-zero. */
const failing = (error: unknown): CliCommand => ({
  name: 'fail',
  summary: 'throws',
  help: 'usage: winback fail',
  run: () => Promise.reject(error),
});

describe('CLI errors', () => {
  it('a missing input file is one line naming the file, exit 1', async () => {
    const r = await winback('ingest', '/no/such/file.jsonl');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toEqual(['winback ingest: /no/such/file.jsonl: no such file or directory (ENOENT)']);
  });

  it('a named error prints its message; an unexpected one its name and first line, the stack only with WINBACK_DEBUG=1', async () => {
    const named = await winbackWith(['fail'], [failing(new WinbackError('the stack at x is not running'))]);
    expect([named.code, named.err]).toEqual([1, 'winback fail: the stack at x is not running']);
    const unexpected = await winbackWith(['fail'], [failing(new TypeError('cannot read x\n  of undefined'))]);
    expect(unexpected.code).toBe(1);
    expect(unexpected.err).toBe('winback fail: TypeError: cannot read x / of undefined (unexpected: WINBACK_DEBUG=1 for the stack)');
    expect(describeError(new TypeError('boom'), { WINBACK_DEBUG: '1' })).toMatch(/^TypeError: boom\n.*\n\s+at /);
  });

  it('a port in use names the address', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4000'), { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 4000 });
    expect(describeError(inUse)).toBe('127.0.0.1:4000: address already in use (another process listens there: --port or WINBACK_PORT) (EADDRINUSE)');
  });
});
