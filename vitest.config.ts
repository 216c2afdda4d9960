import { defineConfig } from 'vitest/config';
import { TwoWorkerSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine. Most of the
    // slow files wait on emulators, child processes and journey timers, so two workers keep both
    // cores busy.
    maxWorkers: 2,
    sequence: { sequencer: TwoWorkerSequencer },
    reporters: ['default'],
    // The SDK's notice about a future Node 22 requirement would repeat in every test file's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        // The CDK tests only read synthesized templates: they share a process per worker, so
        // aws-cdk-lib loads and the template-only stack synthesizes once (test/infra/synth.ts).
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // Pure model code (no stack, no AWS client): one process per worker, TF.js loads once.
        test: { name: 'models', include: ['test/models/**/*.test.ts', 'test/registry/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/infra/**', 'test/models/**', 'test/registry/**'],
          // A folder per run for fixtures several files share (the trained demo data dir).
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
