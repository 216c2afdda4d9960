import { WinbackError } from '../../kernel/errors.js';

/** The API could not be reached at all (connection refused or reset) after every retry. */
export class ApiUnreachableError extends WinbackError {}
