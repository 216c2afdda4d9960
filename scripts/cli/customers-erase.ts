import { requestErasure } from '../../application/erasure.js';
import { signingRegion } from '../../application/sigv4.js';
import { loadOrCreateLocalConfig } from '../local/data-dir.js';
import { withStack } from '../local/stack.js';
import { UsageError, type CliCommand } from './command.js';

/** The privacy API of a deployed stack (--api) with its signing region, or undefined for the local stack. */
export function deployedTarget(values: Record<string, unknown>): { apiUrl: string; sigv4: { region: string } } | undefined {
  const api = values['api'];
  if (typeof api !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new UsageError(`--api must be a URL (the ingest API of the deployed stack), got '${api}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--api must be an http(s) URL, got '${api}'`);
  return { apiUrl: url.href, sigv4: { region: signingRegion(url, typeof values['region'] === 'string' ? values['region'] : undefined) } };
}

async function eraseLocally(dataDir: string, ids: readonly string[]) {
  const config = await loadOrCreateLocalConfig(dataDir);
  return withStack(dataDir, async (stack) => {
    await stack.drain({ timeoutMs: 60_000 });
    return requestErasure({ apiUrl: stack.apiUrl, unsubscribeSecret: config.unsubscribeSecret ?? '' }, ids);
  });
}

export const customersEraseCommand: CliCommand = {
  name: 'customers erase',
  summary: 'erase everything winback holds about customers (GDPR Art. 17); suppressions stay, hashed',
  help: [
    'usage: winback customers erase <customerId>... [--json] [--data-dir DIR | --api URL [--region R]]',
    '',
    'Removes the profile and traits, events (anonymous and merged ids included), orders, scores,',
    'messages sent, journeys, the email index and Shopify links; a suppressed address stays',
    'suppressed under a keyed hash. Uses the running stack (winback up) or starts one. Erasing',
    'again is harmless. Queued events are processed first, so none brings the customer back.',
    '',
    '      --json     the result as JSON (keyed hashes and counts: no personal data)',
    '      --api URL  a deployed stack\'s ingest API (the privacy routes are IAM-authorized): the',
    '                 request is SigV4-signed for execute-api with the default AWS credential chain',
    '                 (AWS_PROFILE, environment, SSO, instance or container role)',
    '      --region R the API\'s region when the URL does not name it (a custom domain); else AWS_REGION',
  ].join('\n'),
  options: { json: { type: 'boolean' }, api: { type: 'string' }, region: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    if (positionals.length === 0) throw new UsageError('name the customer id(s)');
    const deployed = deployedTarget(values);
    const results = deployed ? await requestErasure(deployed, positionals) : await eraseLocally(dataDir, positionals);
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
