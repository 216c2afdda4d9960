import { withStack } from '../local/stack.js';
import { countEvents } from '../../functions/store/events.js';
import type { CliCommand } from './command.js';

export const eventsCountCommand: CliCommand = {
  name: 'events count',
  summary: 'count stored events by kind, and known customers',
  help: 'usage: winback events count [--json] [--data-dir DIR]',
  options: { json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const counts = await withStack(dataDir, (stack) => countEvents(stack.tableName));
    if (values['json']) out(JSON.stringify(counts, null, 2));
    else {
      out(`${counts.total} events, ${counts.customers} customers`);
      for (const [kind, n] of Object.entries(counts.byKind).sort()) out(`  ${kind.padEnd(10)} ${n}`);
    }
    return 0;
  },
};
