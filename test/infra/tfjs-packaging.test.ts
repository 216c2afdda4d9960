import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { WinbackFunction } from '../../infra/constructs/winback-function.js';
import { TFJS_WASM_BUNDLE_DIR } from '../../kernel/settings.js';
import { tfjsWasmBinaries, tfjsWasmPackaging } from '../../infra/tfjs-wasm.js';
import { onlyResource } from './template-queries.js';

/** Runs the bundle's handler in a fresh Node process (ESM, no node_modules on its path), as Lambda would. */
function runHandler(bundle: string, env: Record<string, string>): string {
  return execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(JSON.stringify(await m.handler()));`,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

describe('TF.js packaging (wasm backend in a Lambda bundle)', () => {
  let assetDir: string;
  beforeAll(() => {
    // Prepare: a function bundled exactly like train-models and score-shard, around a fixture.
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tfjs-packaging-')) });
    const stack = new Stack(app, 'Packaging');
    const tfjs = tfjsWasmPackaging(stack);
    new WinbackFunction(stack, 'Smoke', {
      entry: join(import.meta.dirname, 'fixtures', 'tfjs-wasm-smoke.ts'),
      serviceName: 'tfjs-smoke',
      bundledFiles: tfjs.bundledFiles,
      environment: tfjs.environment,
    });
    // Act
    const assembly = app.synth();
    const [, fn] = onlyResource(Template.fromStack(stack), 'AWS::Lambda::Function');
    const hash = /([0-9a-f]{64})\.zip/.exec(JSON.stringify(fn.Properties?.Code.S3Key))![1];
    assetDir = join(assembly.directory, `asset.${hash}`);
  });

  it(`ships every .wasm binary of @tensorflow/tfjs-backend-wasm in <bundle>/${TFJS_WASM_BUNDLE_DIR}/`, () => {
    const expected = tfjsWasmBinaries(new Stack()).map((f) => basename(f)).sort();
    expect(expected).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm']);
    expect(readdirSync(join(assetDir, TFJS_WASM_BUNDLE_DIR)).sort()).toEqual(expected);
  });

  it('initialises the wasm backend from the bundle (TFJS_WASM_DIR) and computes with it', () => {
    // Act: TFJS_WASM_DIR is /var/task/wasm in Lambda; here, the same directory of the asset.
    const out = JSON.parse(runHandler(join(assetDir, 'index.mjs'), { TFJS_WASM_DIR: join(assetDir, TFJS_WASM_BUNDLE_DIR), WINBACK_TF_BACKEND: 'wasm' }));
    // Assess
    expect(out).toEqual({ backend: 'wasm', fallbacks: [], product: [3, 7] });
  });

  it('fails loudly, rather than falling back to cpu, when the binaries are not where TFJS_WASM_DIR says', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-wasm-'));
    expect(() => runHandler(join(assetDir, 'index.mjs'), { TFJS_WASM_DIR: empty, WINBACK_TF_BACKEND: 'wasm' })).toThrow(/wasm/);
  });
});
