import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IConstruct } from 'constructs';
import type { BundledFiles } from './constructs/winback-function.js';
import { InfraConfigError } from './errors.js';
import type { FunctionEnvironment } from './function-environment.js';
import { LOCK_FILE } from './paths.js';
import { TFJS_WASM_BUNDLE_DIR } from '../kernel/settings.js';

/** Where Lambda unpacks the bundle (LAMBDA_TASK_ROOT). */
const LAMBDA_TASK_ROOT = '/var/task';
/** TFJS_WASM_DIR in AWS: the wasm binaries' directory inside the unpacked bundle. */
export const TFJS_WASM_RUNTIME_DIR = `${LAMBDA_TASK_ROOT}/${TFJS_WASM_BUNDLE_DIR}`;

/**
 * The .wasm binaries of the installed @tensorflow/tfjs-backend-wasm (plain, SIMD and threaded
 * SIMD builds: the backend picks one at run time from what the platform supports). They are not
 * imported by the JavaScript, so esbuild cannot see them: they are copied beside the bundle.
 */
export function tfjsWasmBinaries(scope: IConstruct): string[] {
  let dist: string;
  try {
    const require = createRequire(LOCK_FILE);
    dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch (cause) {
    throw new InfraConfigError(scope, '@tensorflow/tfjs-backend-wasm is not installed (npm ci)', { cause });
  }
  const files = readdirSync(dist)
    .filter((f) => f.endsWith('.wasm'))
    .sort()
    .map((f) => join(dist, f));
  if (files.length === 0) throw new InfraConfigError(scope, `no .wasm binary in ${dist}`);
  return files;
}

export interface TfjsPackaging {
  readonly bundledFiles: readonly BundledFiles[];
  readonly environment: FunctionEnvironment;
}

/**
 * Bundle files and variables of a function running TF.js on the wasm backend: the binaries in
 * `<bundle>/wasm/`, TFJS_WASM_DIR pointing at them, and the backend forced to wasm, so that a
 * packaging fault fails the job loudly instead of falling back to the (2-3x slower) cpu backend.
 */
export function tfjsWasmPackaging(scope: IConstruct): TfjsPackaging {
  return {
    bundledFiles: [{ sourceFiles: tfjsWasmBinaries(scope), targetDir: TFJS_WASM_BUNDLE_DIR }],
    environment: { TFJS_WASM_DIR: TFJS_WASM_RUNTIME_DIR, WINBACK_TF_BACKEND: 'wasm' },
  };
}
