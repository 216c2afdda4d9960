/**
 * Builds the shared demo data dir (test/helpers/demo-data.ts) with the CLI, against one local
 * stack started here: `node scripts/bin/run.mjs test/helpers/build-demo-data.ts <dataDir> '<commands as JSON>'`.
 */
import { runCli } from '../../scripts/cli/main.js';
import { startLocalStack } from '../../scripts/local/stack.js';

const [dataDir, commands] = process.argv.slice(2);
if (!dataDir || !commands) throw new Error('usage: build-demo-data.ts <dataDir> <commands JSON>');
const stack = await startLocalStack({ dataDir, port: 0, quiet: true });
try {
  for (const argv of JSON.parse(commands) as string[][]) {
    const code = await runCli([...argv, '--data-dir', dataDir], { out: () => undefined, err: (l) => process.stderr.write(`${l}\n`) });
    if (code !== 0) throw new Error(`winback ${argv.join(' ')} exited ${code}`);
  }
} finally {
  await stack.stop();
}
