import { mountConsole } from '../console/mount.js';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import { integerOption, type CliCommand } from './command.js';

/**
 * `winback up`: the embedded local stack in the foreground until Ctrl-C. Queues are drained on
 * the way down (best effort: what is left stays in the queue journal and is processed at the next
 * start); DynamoDB data stays in the data dir.
 */
export const upCommand: CliCommand = {
  name: 'up',
  summary: 'run the local stack (ingest API, queues, DynamoDB, SES inbox) until Ctrl-C',
  help: [
    'usage: winback up [--port N] [--data-dir DIR]',
    '',
    '  -p, --port N        HTTP port of the ingest API (default 4000 or WINBACK_PORT; 0 = a free port)',
    '      --data-dir DIR  where DynamoDB data, the write key and endpoints.json live (default .winback)',
  ].join('\n'),
  options: { port: { type: 'string', short: 'p' } },
  async run({ dataDir, values, out, err }) {
    const port = integerOption(values, 'port', { min: 0, max: 65535 });
    const stack = await startLocalStack({ dataDir, ...(port !== undefined ? { port } : {}), log: (line) => err(`[winback] ${line}`) });
    // The console at /console: local only (it reads the data dir's model registry and the campaigns dir).
    mountConsole(stack.runtime, { dataDir: stack.dataDir, tableName: stack.tableName });
    out(banner(stack));
    await untilSignalThenStop(() => stack.stop(), (signal) => err(`\n${signal}: stopping (draining queues, up to 10 s; press Ctrl-C again to quit at once)`));
    err('stopped');
    return 0;
  },
};

/**
 * Waits for Ctrl-C (or SIGTERM), then runs `stop`; a second signal means "now" and exits at once
 * without waiting for the drain.
 */
export async function untilSignalThenStop(stop: () => Promise<void>, announce: (signal: NodeJS.Signals) => void): Promise<void> {
  announce(await nextSignal());
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  try {
    await stop();
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function banner(stack: LocalStack): string {
  const sample = JSON.stringify({ userId: 'user-1', event: 'Product Viewed', properties: { sku: 'SKU-1', price: 25 } });
  return [
    'winback local stack is up',
    '',
    `  API        ${stack.apiUrl}`,
    `  Inbox      ${stack.inboxUrl}`,
    `  Write key  ${stack.writeKey}`,
    `  Data dir   ${stack.dataDir}`,
    '',
    'Send an event (the write key is the Basic auth user name, as with Segment):',
    `  curl -X POST ${stack.apiUrl}/v1/track -u '${stack.writeKey}:' \\`,
    `    -H 'content-type: application/json' -d '${sample}'`,
    '',
    'Ctrl-C to stop.',
  ].join('\n');
}
