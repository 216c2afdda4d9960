import { WinbackError } from '../kernel/errors.js';

/**
 * Errors of the use cases, named so that each door maps them once: the CLI prints their message
 * on one line, the console answers 404.
 */

/** What the caller named (a customer to preview for, a campaign file) does not exist. */
export class NotFoundError extends WinbackError {}
