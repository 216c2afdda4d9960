import { parseArgs } from 'node:util';
import { WinbackError } from '../../kernel/errors.js';
import { resolveDataDir } from '../local/data-dir.js';
import { UsageError, type CliCommand, type OptionSpecs, type OptionValues } from './command.js';
import { COMMANDS } from './registry.js';

/** Options every command accepts. */
const GLOBAL_OPTIONS: OptionSpecs = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const consoleIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs one `winback` invocation and resolves to its exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo = consoleIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  // First pass, lenient: only to find the command words among the leading positionals.
  const loose = parseArgs({ args: [...argv], options: GLOBAL_OPTIONS, strict: false, allowPositionals: true });
  const command = findCommand(commands, loose.positionals);
  if (!command) {
    const asked = loose.positionals.join(' ');
    const group = groupOf(commands, loose.positionals);
    if (group.length > 0) {
      // `winback campaigns` names a group of commands: its help, and a usage error without --help.
      if (!loose.values.help) io.err(`winback ${group[0]!.name.split(' ')[0]}: name one of its commands\n`);
      (loose.values.help ? io.out : io.err)(groupHelp(group));
      return loose.values.help ? 0 : 2;
    }
    if (asked) {
      io.err(`winback: unknown command '${asked}'\n`);
      io.err(generalHelp(commands));
      return 2;
    }
    io.out(generalHelp(commands));
    return loose.values.help ? 0 : 2;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    values = parsed.values;
    positionals = parsed.positionals.slice(command.name.split(' ').length);
    if (positionals.length > 0 && !command.positionals) {
      throw new UsageError(`unexpected argument '${positionals[0]}'`);
    }
  } catch (err) {
    return usageFailure(io, command, err);
  }
  if (values.help) {
    io.out(command.help);
    return 0;
  }
  const dataDir = resolveDataDir(typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined);
  try {
    return await command.run({ dataDir, values, positionals, out: io.out, err: io.err });
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, command, err);
    io.err(`winback ${command.name}: ${describeError(err)}`);
    return 1;
  }
}

function findCommand(commands: readonly CliCommand[], positionals: readonly string[]): CliCommand | undefined {
  let best: CliCommand | undefined;
  for (const c of commands) {
    const words = c.name.split(' ');
    const matches = words.every((w, i) => positionals[i] === w);
    if (matches && (!best || words.length > best.name.split(' ').length)) best = c;
  }
  return best;
}

/** The commands whose first word is the only positional given (`winback campaigns`), else none. */
function groupOf(commands: readonly CliCommand[], positionals: readonly string[]): CliCommand[] {
  if (positionals.length !== 1) return [];
  return commands.filter((c) => c.name.includes(' ') && c.name.split(' ')[0] === positionals[0]);
}

function groupHelp(group: readonly CliCommand[]): string {
  const word = group[0]!.name.split(' ')[0]!;
  const width = Math.max(...group.map((c) => c.name.length));
  return [
    `usage: winback ${word} <command> [options]`,
    '',
    'commands:',
    ...group.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `winback ${word} <command> --help for its options.`,
  ].join('\n');
}

function usageFailure(io: CliIo, command: CliCommand, err: unknown): number {
  io.err(`winback ${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
  io.err(command.help);
  return 2;
}

/** Set to 1 to get the stack of an unexpected error after its one line. */
export const DEBUG_ENV = 'WINBACK_DEBUG';

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EADDRINUSE: 'address already in use (another process listens there: --port or WINBACK_PORT)',
  ECONNREFUSED: 'connection refused',
};

/**
 * Every failure of a command as one line for the person at the terminal: named errors carry a
 * message meant for them; system errors (a missing file, a port in use) say what and where; any
 * other error says its name and first line, with the stack only when WINBACK_DEBUG=1.
 */
export function describeError(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (err instanceof WinbackError) return oneLine(err.message);
  const sys = err as Partial<NodeJS.ErrnoException> & { address?: string; port?: number };
  if (err instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    const where = sys.path ?? (sys.address !== undefined ? `${sys.address}${sys.port !== undefined ? `:${sys.port}` : ''}` : undefined);
    return `${where !== undefined ? `${where}: ` : ''}${SYSTEM_ERRORS[sys.code] ?? oneLine(err.message)} (${sys.code})`;
  }
  const line = err instanceof Error ? `${err.name}: ${oneLine(err.message)}` : oneLine(String(err));
  if (env[DEBUG_ENV] === '1' && err instanceof Error && err.stack) return `${line}\n${err.stack}`;
  return `${line} (unexpected: ${DEBUG_ENV}=1 for the stack)`;
}

function oneLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join(' / ');
}

export function generalHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: winback <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options:',
    '  --data-dir DIR  local stack data (default .winback, or WINBACK_DATA_DIR)',
    '  -h, --help      help for winback or for a command',
  ].join('\n');
}
