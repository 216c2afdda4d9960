import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * Absolute paths the CDK app needs. Resolved from this file rather than from the working
 * directory, so `cdk synth`, the tests and scripts work from wherever they are started.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The lock file NodejsFunction uses to find the project root and the installed esbuild. */
export const LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');

/** Entry file of a Lambda handler: `functions/<name>.ts`, which exports `handler`. */
export function functionEntry(name: string): string {
  return join(PROJECT_ROOT, 'functions', `${name}.ts`);
}
