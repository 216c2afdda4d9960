import { WinbackError } from '../../kernel/errors.js';

/** MODEL_REGISTRY_URI is neither file://<dir> nor s3://<bucket>[/prefix]. */
export class RegistryUriError extends WinbackError {}

/** A version id, or a model name, the registry does not know. */
export class VersionNotFoundError extends WinbackError {}

/** A model has no champion yet (train first), so nothing can be scored or rolled back. */
export class NoChampionError extends WinbackError {}

/** `rollback` with no earlier champion to go back to. */
export class NothingToRollBackError extends WinbackError {}

/** A stored registry file (registry.json, clv.json) does not match its schema. */
export class RegistryFormatError extends WinbackError {}

/** A key that would escape the store's root (`..`, absolute paths). */
export class InvalidStoreKeyError extends WinbackError {}

/** The CLV models could not be fitted (too few customers, no repeat buyers). */
export class ClvFitError extends WinbackError {}
