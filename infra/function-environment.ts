import type { Config } from '../functions/commons/config.js';

/**
 * Environment variables a winback function reads, keyed by the names in
 * functions/commons/config.ts (type-only import: nothing of the function code runs here),
 * so that a renamed or misspelt variable fails `tsc` instead of failing in AWS.
 */
export type FunctionEnvironment = Partial<Readonly<Record<keyof Config, string>>>;

/** Drops unset entries: Lambda rejects undefined values, and absent means "use the default". */
export function toLambdaEnvironment(env: FunctionEnvironment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
