import { WinbackError } from '../../kernel/errors.js';

/**
 * Errors of `winback start` and `winback reset`, named so the CLI prints a precise message and
 * tests assert on the class.
 */

/** One step of the pipeline (load, train, score, a campaign) failed; names the step. */
export class PipelineStepError extends WinbackError {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** `--clock-speed` or WINBACK_CLOCK_SPEED is not a usable speed. */
export class ClockSpeedError extends WinbackError {}

/** `winback reset` was pointed at a directory that is not a winback data dir. */
export class NotADataDirError extends WinbackError {}

/** `winback reset` while a stack serves the data dir, or without confirmation. */
export class ResetRefusedError extends WinbackError {}
