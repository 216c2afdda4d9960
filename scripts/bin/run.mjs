#!/usr/bin/env node
// Runs a TypeScript entry file through tsx, so the repository needs no build step.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

// The SDK's notice about a future Node 22 requirement would open every script's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run.mjs <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
