import { untilSignalThenStop } from './up.js';
import { routeConsoleToStderr, routeHandlerLogsToStderr } from '../local/handler-logs.js';
import { stderrProgress } from '../demo/progress.js';
import { CLOCK_SPEED_ENV, DEFAULT_CLOCK_SPEED, DEMO_CUSTOMERS, DEMO_DAYS, DEMO_SEED, resolveClockSpeed } from '../demo/settings.js';
import { runStartPipeline, serve, type StartOptions } from '../demo/start.js';
import { formatSummary } from '../demo/summary.js';
import { CAMPAIGNS_OPTION, campaignsDir } from './campaigns.js';
import { integerOption, UsageError, type CliCommand } from './command.js';

/**
 * `winback start` (`npm start`): the whole pipeline locally in one command. Boots the embedded
 * stack; on the first run loads the demo population; trains, scores and runs every active
 * campaign; prints one summary on stdout (progress on stderr); then serves the ingest API, the
 * SES inbox and the console, with the CDK schedules on an accelerated virtual clock, until
 * Ctrl-C. `--once` does the start-up work (one full cycle on later runs) and exits.
 */
export const startCommand: CliCommand = {
  name: 'start',
  summary: 'the whole pipeline locally: load demo data (first run), train, score, run campaigns, then serve with schedules',
  help: [
    'usage: winback start [--once] [--json] [--port N] [--clock-speed X] [--customers N] [--days D] [--seed S]',
    '                     [--campaigns DIR] [--verbose] [--data-dir DIR]',
    '',
    'First run (no demo.json in the data dir): loads a simulated population (the fast direct path',
    'of `winback simulate --direct`, ending today), trains churn and propensity and refits CLV,',
    'scores everyone and runs every active campaign through the local Step Functions and SES.',
    'Later runs keep the data and go straight to serving; with --once they run one full cycle',
    '(train, score, campaigns) on the existing data. `winback reset` starts over.',
    '',
    '      --once           do the start-up work, print the summary and exit (non-zero if a step fails)',
    '      --json           the summary as JSON on stdout (progress stays on stderr)',
    '  -p, --port N         HTTP port (default 4000 or WINBACK_PORT; with --once a free port)',
    `      --clock-speed X  virtual seconds per wall second for the schedules (default ${DEFAULT_CLOCK_SPEED}:`,
    `                       one simulated day per minute; or ${CLOCK_SPEED_ENV}; 0 = no schedules)`,
    `      --customers N    demo population, first run only (default ${DEMO_CUSTOMERS})`,
    `      --days D         days of history, ending today, first run only (default ${DEMO_DAYS})`,
    `      --seed S         simulation seed, first run only (default ${DEMO_SEED})`,
    '      --campaigns DIR  campaign files (default ./campaigns or CAMPAIGNS_DIR)',
    '      --verbose        the handlers\' INFO logs too (stderr)',
    '',
    'Schedules on the virtual clock (those of the CDK stack): training weekly Sunday 02:00 UTC,',
    'scoring daily 04:00 UTC, the campaign trigger sweep every 15 minutes. Jobs never overlap.',
    'The clock starts at the wall clock on a fresh data dir and resumes where it stopped on restart.',
  ].join('\n'),
  options: {
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    port: { type: 'string', short: 'p' },
    'clock-speed': { type: 'string' },
    customers: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    ...CAMPAIGNS_OPTION,
    verbose: { type: 'boolean' },
  },
  async run({ dataDir, values, out, err }) {
    const port = integerOption(values, 'port', { min: 0, max: 65535 });
    const customers = integerOption(values, 'customers', { min: 1, max: 1_000_000 }) ?? DEMO_CUSTOMERS;
    const days = integerOption(values, 'days', { min: 1, max: 3650 }) ?? DEMO_DAYS;
    const seed = integerOption(values, 'seed', { min: 0, max: 0xffffffff }) ?? DEMO_SEED;
    let clockSpeed: number;
    try {
      clockSpeed = resolveClockSpeed(typeof values['clock-speed'] === 'string' ? values['clock-speed'] : undefined);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const once = values['once'] === true;
    // stdout carries the summary only: handler logs and emulator chatter go to stderr.
    routeHandlerLogsToStderr({ verbose: values['verbose'] === true });
    routeConsoleToStderr();
    const opts: StartOptions = {
      dataDir,
      ...(port !== undefined ? { port } : {}),
      once,
      population: { customers, days, seed },
      clockSpeed,
      campaignsDir: campaignsDir(values),
      log: err,
      progress: stderrProgress(),
    };
    const started = await runStartPipeline(opts);
    const print = (): void => {
      if (values['json']) out(JSON.stringify(started.summary, null, 2));
      else for (const line of formatSummary(started.summary)) out(line);
    };
    if (once) {
      await started.stack.stop();
      print();
      return started.summary.problems.length ? 1 : 0;
    }
    const serving = await serve(started, opts);
    print();
    await untilSignalThenStop(() => serving.stop(), (signal) => err(`\n${signal}: stopping (running job up to 10 s, queues up to 10 s; Ctrl-C again to quit at once)`));
    err('stopped');
    return 0;
  },
};

