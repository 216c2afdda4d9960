import cliProgress from 'cli-progress';

/**
 * Progress of the long steps, on stderr: a bar on a terminal; elsewhere (CI, a pipe, a log file)
 * one line every PROGRESS_LINE_MS while a step runs, so that nobody waits minutes in silence,
 * and no thousands of redraws either.
 */
export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

export interface Progress {
  bar(label: string, total: number, unit: string): ProgressBar;
}

/** How often a step without a terminal says how far it is. */
export const PROGRESS_LINE_MS = 10_000;

const silent: ProgressBar = { update: () => undefined, stop: () => undefined };

export function stderrProgress(tty: boolean = process.stderr.isTTY === true): Progress {
  return tty ? terminalProgress() : lineProgress((line) => process.stderr.write(`${line}\n`));
}

function terminalProgress(): Progress {
  return {
    bar(label, total, unit) {
      const bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(28)} [{bar}] {value}/{total} ${unit} | {duration}s`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), 0);
      let stopped = false;
      return {
        update: (done) => bar.update(Math.min(done, Math.max(total, 1))),
        stop: () => {
          if (stopped) return;
          stopped = true;
          bar.stop();
        },
      };
    },
  };
}

/**
 * Progress as plain lines: `<label>: <done>/<total> <unit> (<pct>%, <s> s)` at most every
 * `everyMs`, and a last one when a step that printed any stops further on.
 */
export function lineProgress(write: (line: string) => void, everyMs: number = PROGRESS_LINE_MS, now: () => number = Date.now): Progress {
  return {
    bar(label, total, unit) {
      const t0 = now();
      let last = t0;
      let done = 0;
      let shown: number | undefined;
      let stopped = false;
      const line = (): void => {
        const pct = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 100;
        write(`${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${unit ? ` ${unit}` : ''} (${pct}%, ${Math.round((now() - t0) / 1000)} s)`);
        shown = done;
      };
      return {
        update: (n) => {
          done = n;
          if (stopped || now() - last < everyMs) return;
          last = now();
          line();
        },
        stop: () => {
          if (stopped) return;
          stopped = true;
          if (shown !== undefined && shown !== done) line();
        },
      };
    },
  };
}

export const noProgress: Progress = { bar: () => silent };
