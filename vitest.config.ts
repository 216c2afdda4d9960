import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine. Most of the
    // slow files wait on emulators, child processes and journey timers, so two workers keep both
    // cores busy.
    maxWorkers: 2,
    // A folder per run for fixtures several files share (the trained demo data dir).
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
    // The SDK's notice about a future Node 22 requirement would repeat in every test file's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
