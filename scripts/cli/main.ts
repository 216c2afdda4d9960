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
    // Named errors carry a message meant for the user; anything else is a bug worth a stack.
    io.err(err instanceof WinbackError ? `winback ${command.name}: ${err.message}` : `winback ${command.name}: ${stackOf(err)}`);
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

function usageFailure(io: CliIo, command: CliCommand, err: unknown): number {
  io.err(`winback ${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
  io.err(command.help);
  return 2;
}

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
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
