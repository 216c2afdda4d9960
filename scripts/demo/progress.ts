import cliProgress from 'cli-progress';

/**
 * Progress of the long steps, on stderr: a bar on a terminal; nothing otherwise (a log file or a
 * test gets the step lines only, not thousands of redraws).
 */
export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

export interface Progress {
  bar(label: string, total: number, unit: string): ProgressBar;
}

const silent: ProgressBar = { update: () => undefined, stop: () => undefined };

export function stderrProgress(enabled: boolean = process.stderr.isTTY === true): Progress {
  return {
    bar(label, total, unit) {
      if (!enabled) return silent;
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

export const noProgress: Progress = { bar: () => silent };
