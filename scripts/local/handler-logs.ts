import { format } from 'node:util';
import { logger } from '../../functions/commons/logger.js';

/**
 * The handlers' Powertools logger writes to stdout, and `setLogLevel` does not stick: middy's
 * injectLambdaContext resets the level to the initial one (INFO) on every warm invocation. In
 * `winback start` stdout carries the summary only (`--json` is for scripts), so the logger's
 * console is replaced: warnings and errors go to stderr, INFO and DEBUG lines only with
 * --verbose (also to stderr). The handlers log ids and counts, never emails or names.
 */
type LogMethod = (...args: unknown[]) => void;

export function routeHandlerLogsToStderr(opts: { verbose: boolean }): void {
  const toStderr: LogMethod = (...args) => {
    process.stderr.write(`${args.map(String).join(' ')}\n`);
  };
  const quiet: LogMethod = () => undefined;
  const verbose = opts.verbose ? toStderr : quiet;
  const sink = { error: toStderr, warn: toStderr, info: verbose, debug: verbose, log: verbose, trace: verbose };
  // `console` is private in the typings but a plain property at runtime (Logger#setConsole sets it).
  (logger as unknown as { console: typeof sink }).console = sink;
}

/**
 * Emulators and libraries print with console.log / console.info (stdout); in `winback start`
 * those lines go to stderr so that stdout stays the summary. The CLI's own output writes to
 * process.stdout directly and is not affected.
 */
export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]): void => {
    process.stderr.write(`${format(...args)}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
