import type { ParseArgsConfig } from 'node:util';
import { WinbackError } from '../../kernel/errors.js';

/**
 * The contract every `winback` subcommand implements. A command is one module under
 * scripts/cli/ exporting a CliCommand, listed once in scripts/cli/registry.ts.
 */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandContext {
  /** Absolute data dir: --data-dir, else WINBACK_DATA_DIR, else `.winback/`. */
  readonly dataDir: string;
  /** Parsed options (the command's own and the global ones). */
  readonly values: OptionValues;
  /** Positional arguments after the command words. */
  readonly positionals: readonly string[];
  /** Results, to stdout. */
  readonly out: (line: string) => void;
  /** Progress and diagnostics, to stderr (keeps stdout clean for pipes). */
  readonly err: (line: string) => void;
}

export interface CliCommand {
  /** Command words, space-separated: 'up', 'customers show'. */
  readonly name: string;
  /** One line for `winback --help`. */
  readonly summary: string;
  /** Usage line and option descriptions for `winback <command> --help`. */
  readonly help: string;
  readonly options?: OptionSpecs;
  /** Whether the command takes positional arguments (e.g. a customer id). */
  readonly positionals?: boolean;
  /** Resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Bad command line: printed with the command's help, exit code 2. */
export class UsageError extends WinbackError {}

/** Parses an integer option, naming the option when it is not one. */
export function integerOption(values: OptionValues, name: string, range: { min: number; max: number }): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be an integer from ${range.min} to ${range.max}, got ${String(raw)}`);
  }
  return n;
}

/** Parses a time option: YYYY-MM-DD (midnight UTC) or an ISO time, naming the option when it is neither. */
export function timeOption(values: OptionValues, name: string): Date | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const d = typeof raw === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw) : new Date(NaN);
  if (!Number.isFinite(d.getTime())) throw new UsageError(`--${name} must be a date (YYYY-MM-DD or ISO time), got ${String(raw)}`);
  return d;
}
