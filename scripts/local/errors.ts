import { WinbackError } from '../../kernel/errors.js';

/**
 * Errors of the local stack and runtime. Named so that the CLI can turn each one into a
 * precise message (and tests can assert on the class, not on wording).
 */

/** Another stack already serves this data dir (its endpoints.json answers /healthz). */
export class StackAlreadyRunningError extends WinbackError {
  constructor(
    readonly dataDir: string,
    readonly apiUrl: string,
    readonly pid: number,
  ) {
    super(`a local stack is already running on ${dataDir} (pid ${pid}, ${apiUrl})`);
  }
}

/** The process already hosts a stack: the handlers read process-wide environment, so only one fits. */
export class StackInProcessError extends WinbackError {}

/** No healthy stack behind <dataDir>/endpoints.json. */
export class StackNotRunningError extends WinbackError {}

/** A live process holds the data dir (a running stack) but did not answer /healthz in time. */
export class StackNotRespondingError extends WinbackError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly apiUrl: string | undefined,
    waitedMs: number,
  ) {
    super(
      `the local stack on ${dataDir} (process ${pid}${apiUrl ? `, ${apiUrl}` : ''}) did not answer within ${Math.round(waitedMs / 1000)} s; ` +
        'let it finish what it is doing and retry (WINBACK_STACK_WAIT_SECONDS waits longer), or stop it first',
    );
  }
}

export class PortInUseError extends WinbackError {
  constructor(readonly port: number, options?: { cause?: unknown }) {
    super(`port ${port} is already in use; pass --port N (or --port 0 for a random free port)`, options);
  }
}

/** <dataDir>/config.json exists but is not what winback wrote; we never overwrite it silently. */
export class LocalConfigError extends WinbackError {}

/** The on-disk table was created with a different key schema or indexes (an older winback). */
export class TableSchemaMismatchError extends WinbackError {}

export class EmulatorStartError extends WinbackError {}

export class DrainTimeoutError extends WinbackError {
  constructor(
    readonly timeoutMs: number,
    readonly pending: { messages: number; inFlightBatches: number; inFlightRequests: number },
  ) {
    super(
      `queues not drained after ${timeoutMs} ms: ${pending.messages} messages queued or in flight, ` +
        `${pending.inFlightBatches} batches and ${pending.inFlightRequests} HTTP requests running`,
    );
  }
}

/** A handler did not answer within its Lambda timeout; like Lambda, the batch counts as failed. */
export class HandlerTimeoutError extends WinbackError {}

/** A request body over API Gateway's payload limit; answered with 413 before any handler runs. */
export class BodyTooLargeError extends WinbackError {
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

/** A handler returned something API Gateway would reject (e.g. a statusCode that is not an HTTP status). */
export class InvalidHandlerResultError extends WinbackError {}

/** The local queues' journal cannot be read or written (see scripts/local/sqs-journal.ts). */
export class QueueJournalError extends WinbackError {}

/** Another live process holds the data dir (a stack still stopping, or one that does not answer). */
export class DataDirInUseError extends WinbackError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    waitedMs: number,
  ) {
    super(`the data dir ${dataDir} is in use by process ${pid} (waited ${Math.round(waitedMs / 1000)} s for it to let go)`);
  }
}
