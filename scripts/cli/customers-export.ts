import { customerExport } from '../../application/erasure.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

export const customersExportCommand: CliCommand = {
  name: 'customers export',
  summary: 'everything winback holds about a customer, as JSON (GDPR Art. 15 access request)',
  help: [
    'usage: winback customers export <customerId> [--data-dir DIR]',
    '',
    'Prints the merged profile and every record held (events, orders, profile changes, scores and',
    'their history, messages, journeys, suppressions, linked ids) as JSON. Exit 1 when nothing is held.',
  ].join('\n'),
  positionals: true,
  async run({ dataDir, positionals, out }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the customer id');
    if (positionals.length > 1) throw new UsageError(`one customer at a time (got ${positionals.length})`);
    const record = await withStack(dataDir, (stack) => customerExport(stack.tableName, id));
    out(JSON.stringify(record, null, 2));
    return record.found ? 0 : 1;
  },
};
