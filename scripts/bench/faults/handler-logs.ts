import { logger } from '../../../functions/commons/logger.js';

/**
 * The handlers' log lines, captured for a scenario to check (the erasure scenario searches them
 * for personal data). Every handler of the embedded stack runs in this process and logs through
 * the one Powertools logger (functions/commons/logger.ts), so its console is replaced by a sink.
 *
 * The level has to be set as the initial one too: middy's injectLambdaContext resets the level
 * to the initial one on every warm invocation (refreshSampleRateCalculation), and the benchmark
 * starts the logger SILENT (faults/quiet.ts), so a plain setLogLevel lasted one invocation and
 * the first run of the check saw no line at all. DEBUG is captured, more than AWS logs (INFO).
 */
type LogMethod = (...args: unknown[]) => void;
type Sink = Record<'error' | 'warn' | 'info' | 'debug' | 'log' | 'trace', LogMethod>;

interface LoggerInternals {
  console: Sink;
  setInitialLogLevel(level: string): void;
}

export interface CapturedLogs {
  readonly lines: readonly string[];
  /** Puts the console and level back (SILENT, as the benchmark runs). */
  stop(): void;
}

export function captureHandlerLogs(level: 'DEBUG' | 'INFO' = 'DEBUG'): CapturedLogs {
  const internals = logger as unknown as LoggerInternals;
  const previousConsole = internals.console;
  const previousLevel = logger.getLevelName();
  const lines: string[] = [];
  const keep: LogMethod = (...args) => {
    lines.push(args.map(String).join(' '));
  };
  internals.console = { error: keep, warn: keep, info: keep, debug: keep, log: keep, trace: keep };
  internals.setInitialLogLevel(level);
  logger.setLogLevel(level);
  return {
    lines,
    stop() {
      internals.console = previousConsole;
      internals.setInitialLogLevel(previousLevel);
      logger.setLogLevel(previousLevel);
    },
  };
}
