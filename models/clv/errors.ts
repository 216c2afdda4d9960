import { WinbackError } from '../../kernel/errors.js';

/** A numerical routine was asked for a value outside its domain (e.g. 2F1 at z >= 1). */
export class NumericalDomainError extends WinbackError {}

/** A series or iteration did not converge within its budget; the value would be wrong, so we refuse. */
export class ConvergenceError extends WinbackError {}

/** Model input is unusable (no customers, negative recency, t_x > T, non-finite values...). */
export class ModelInputError extends WinbackError {}

/** Model parameters are outside their domain (non-positive, non-finite). */
export class InvalidParametersError extends WinbackError {}
