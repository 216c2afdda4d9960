import { WinbackError } from '../../kernel/errors.js';

/** A data file has a line or field we cannot interpret; carries the 1-based line number. */
export class DataFormatError extends WinbackError {
  constructor(
    message: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`, options);
  }
}

/** The shared data folder or a file in it is missing. */
export class DataNotFoundError extends WinbackError {}
