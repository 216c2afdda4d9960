import type { Config } from '../functions/commons/config.js';

/**
 * Variables read outside functions/commons/config.ts, by models/config.ts (the TF.js backend
 * choice), typed here so that the stack cannot misspell them either:
 * - TFJS_WASM_DIR: directory of the tfjs-backend-wasm binaries inside the bundle (/var/task/wasm).
 * - WINBACK_TF_BACKEND: forces a TF.js backend (tensorflow | wasm | cpu).
 */
export type ModelEnvironmentVariable = 'TFJS_WASM_DIR' | 'WINBACK_TF_BACKEND' | JobEnvironmentVariable;

/**
 * Variables of the distributed jobs, read by functions/store/job-objects.ts (JOB_BUCKET) and
 * functions/jobs/distributed-jobs.ts (segment and training-sample sizes).
 */
export type JobEnvironmentVariable = 'JOB_BUCKET' | 'JOB_SEGMENT_CUSTOMERS' | 'TRAINING_SAMPLE_CUSTOMERS';

/**
 * Environment variables a winback function reads, keyed by the names in
 * functions/commons/config.ts (type-only import: nothing of the function code runs here),
 * so that a renamed or misspelt variable fails `tsc` instead of failing in AWS.
 */
export type FunctionEnvironment = Partial<Readonly<Record<keyof Config | ModelEnvironmentVariable, string>>>;

/** Drops unset entries: Lambda rejects undefined values, and absent means "use the default". */
export function toLambdaEnvironment(env: FunctionEnvironment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
