import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WinbackError } from '../../kernel/errors.js';
import { modelEnv, type ModelEnv } from '../config.js';

/**
 * Picks the fastest TensorFlow.js backend available, once per process:
 *
 * 1. `tensorflow` from `@tensorflow/tfjs-node` (native libtensorflow). It is an optional
 *    dependency: its install downloads libtensorflow and fails on machines without network or
 *    a supported platform, so it is imported dynamically and its absence is not an error.
 * 2. `wasm` from `@tensorflow/tfjs-backend-wasm`, with the .wasm binaries read from
 *    node_modules by file path (in Node the emscripten loader reads them with fs; the default
 *    would be a URL relative to a web page). About 2-3x faster than cpu for our small MLPs.
 * 3. `cpu`, pure JS, always there.
 *
 * All model code imports `@tensorflow/tfjs`; tfjs-node registers its backend in the same engine,
 * so nothing else depends on which one won. `WINBACK_TF_BACKEND` (tensorflow | wasm | cpu)
 * forces a choice, e.g. to compare speeds.
 */

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  readonly name: BackendName;
  /** The package that provides it. */
  readonly package: string;
  readonly tfjsVersion: string;
  /** Why better backends were skipped, for the training report. */
  readonly fallbacks: readonly string[];
}

export class BackendError extends WinbackError {}

let active: Promise<BackendInfo> | undefined;

const require = createRequire(import.meta.url);

/**
 * Directory of the wasm backend's binaries, with the trailing slash setWasmPaths expects. In a
 * Lambda bundle there is no node_modules: the build copies them and sets TFJS_WASM_DIR.
 */
export function wasmBinaryDir(env: ModelEnv = modelEnv): string {
  const dir = env['TFJS_WASM_DIR'];
  if (dir) return dir.endsWith('/') ? dir : `${dir}/`;
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

async function tryNode(): Promise<void> {
  // A variable specifier keeps TypeScript from resolving a module that may not be installed.
  const specifier = '@tensorflow/tfjs-node';
  await import(specifier);
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError('tfjs-node loaded but the tensorflow backend did not initialise');
}

async function tryWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryDir());
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend did not initialise');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.name : String(err);
}

async function select(preferred: BackendName | undefined): Promise<BackendInfo> {
  const fallbacks: string[] = [];
  const order: BackendName[] = preferred ? [preferred] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') await tryNode();
      else if (name === 'wasm') await tryWasm();
      else if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend did not initialise');
      await tf.ready();
      return {
        name,
        package: name === 'tensorflow' ? '@tensorflow/tfjs-node' : name === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu',
        tfjsVersion: tf.version.tfjs,
        fallbacks,
      };
    } catch (err) {
      fallbacks.push(`${name}: ${message(err)}`);
    }
  }
  throw new BackendError(`no TensorFlow.js backend could be initialised (${fallbacks.join('; ')})`);
}

/**
 * Initialise (once) and report the active backend. Safe to call from every entry point; later
 * calls return the first result.
 */
export function initBackend(env: ModelEnv = modelEnv): Promise<BackendInfo> {
  if (!active) {
    const forced = env['WINBACK_TF_BACKEND'];
    if (forced !== undefined && forced !== '' && forced !== 'tensorflow' && forced !== 'wasm' && forced !== 'cpu') {
      return Promise.reject(new BackendError(`WINBACK_TF_BACKEND must be tensorflow, wasm or cpu, not ${forced}`));
    }
    active = select(forced === '' ? undefined : (forced as BackendName | undefined));
    // A failed selection should not poison later attempts.
    active.catch(() => {
      active = undefined;
    });
  }
  return active;
}
