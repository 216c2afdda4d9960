import { WinbackError } from '../../kernel/errors.js';

/** A console URL (page, file or API route) that does not exist: 404. */
export class ConsoleNotFoundError extends WinbackError {}

/** A console API request with a bad parameter (a date that is not one...): 400. */
export class ConsoleBadRequestError extends WinbackError {}
