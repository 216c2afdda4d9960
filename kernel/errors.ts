/**
 * Named error classes. Handlers map them to HTTP status codes (4xx for the caller's
 * mistakes) or to retry decisions (retryable errors are thrown so SQS redelivers).
 */
export class WinbackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request or record failed validation; `field` names the offending path. */
export class ValidationError extends WinbackError {
  constructor(
    message: string,
    readonly field?: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class AuthenticationError extends WinbackError {}
/** The write key is valid but may not be used from the page's origin (its allowed origins are configured). */
export class OriginNotAllowedError extends WinbackError {}
export class PayloadTooLargeError extends WinbackError {
  constructor(
    readonly limitBytes: number,
    readonly actualBytes: number,
    readonly field = '(body)',
  ) {
    super(`${field} is ${actualBytes} bytes; the limit is ${limitBytes} bytes`);
  }
}
export class RouteNotFoundError extends WinbackError {}
export class MethodNotAllowedError extends WinbackError {}

/** A dependency failed in a way a retry may fix (throttling, network, partial enqueue). */
export class RetryableError extends WinbackError {}
/** A dependency is rate-limiting us: the caller should retry after `retryAfterSeconds` (HTTP 429 + Retry-After). */
export class ThrottledError extends RetryableError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends WinbackError {}
