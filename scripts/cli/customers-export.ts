import { customerExport, requestExport } from '../../application/erasure.js';
import { deployedTarget } from './customers-erase.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

export const customersExportCommand: CliCommand = {
  name: 'customers export',
  summary: 'everything winback holds about a customer, as JSON (GDPR Art. 15 access request)',
  help: [
    'usage: winback customers export <customerId> [--data-dir DIR | --api URL [--region R]]',
    '',
    'Prints the merged profile and every record held (events, orders, profile changes, scores and',
    'their history, messages, journeys, suppressions, linked ids) as JSON. Exit 1 when nothing is held.',
    '',
    '      --api URL  a deployed stack\'s ingest API: POST /v1/erasure/export, SigV4-signed for',
    '                 execute-api with the default AWS credential chain (as customers erase --api)',
    '      --region R the API\'s region when the URL does not name it; else AWS_REGION',
  ].join('\n'),
  options: { api: { type: 'string' }, region: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const id = positionals[0];
    if (!id) throw new UsageError('name the customer id');
    if (positionals.length > 1) throw new UsageError(`one customer at a time (got ${positionals.length})`);
    const deployed = deployedTarget(values);
    const record = deployed
      ? await requestExport(deployed, id)
      : await withStack(dataDir, (stack) => customerExport(stack.tableName, id));
    out(JSON.stringify(record, null, 2));
    return record.found ? 0 : 1;
  },
};
