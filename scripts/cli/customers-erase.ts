import { requestErasure } from '../../application/erasure.js';
import { loadOrCreateLocalConfig } from '../local/data-dir.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

export const customersEraseCommand: CliCommand = {
  name: 'customers erase',
  summary: 'erase everything winback holds about customers (GDPR Art. 17); suppressions stay, hashed',
  help: [
    'usage: winback customers erase <customerId>... [--json] [--data-dir DIR]',
    '',
    'Removes the profile and traits, events (anonymous and merged ids included), orders, scores,',
    'messages sent, journeys, the email index and Shopify links; a suppressed address stays',
    'suppressed under a keyed hash. Uses the running stack (winback up) or starts one. Erasing',
    'again is harmless. Queued events are processed first, so none brings the customer back.',
    '',
    '      --json     the result as JSON (keyed hashes and counts: no personal data)',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    if (positionals.length === 0) throw new UsageError('name the customer id(s)');
    const config = await loadOrCreateLocalConfig(dataDir);
    const results = await withStack(dataDir, async (stack) => {
      await stack.drain({ timeoutMs: 60_000 });
      return requestErasure({ apiUrl: stack.apiUrl, unsubscribeSecret: config.unsubscribeSecret ?? '' }, positionals);
    });
    if (values['json']) {
      out(JSON.stringify({ erased: results }, null, 2));
      return 0;
    }
    positionals.forEach((id, i) => {
      const r = results[i]!;
      out(r.deletedItems > 0 ? `erased ${id}: ${r.deletedItems} records (log id ${r.customerHash})` : `erased ${id}: nothing held (log id ${r.customerHash})`);
    });
    return 0;
  },
};
