/**
 * The `winback` CLI entry (scripts/bin/winback.mjs loads it through tsx). Commands live in
 * scripts/cli/, one module each, listed in scripts/cli/registry.ts.
 */
import { runCli } from './cli/main.js';

// package.json supports Node >= 20.19; the SDK's notice about its future Node 22 requirement would
// otherwise open every command's output. Set the variable to 'false' to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2));
// A handler module or SDK client may leave a handle open; it must not keep a finished CLI alive.
setTimeout(() => process.exit(), 2000).unref();
