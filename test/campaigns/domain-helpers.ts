import { resetConfig } from '../../functions/commons/config.js';
import type { LocalStack } from '../../scripts/local/stack.js';
import { post } from '../helpers/stack.js';

/** Test-only secret (32+ characters), set before any config read. */
export const TEST_SECRET = 'test-unsubscribe-secret-0123456789abcdef';

export function useCampaignEnvironment(): void {
  process.env['UNSUBSCRIBE_SECRET'] = TEST_SECRET;
  process.env['SES_MAX_SEND_RATE'] = '1000';
  resetConfig();
}

/** Points the campaign config at a started stack: public URLs and the local SES event publisher. */
export function pointCampaignsAt(stack: LocalStack): void {
  process.env['UNSUBSCRIBE_SECRET'] = TEST_SECRET;
  process.env['SES_MAX_SEND_RATE'] = '1000';
  process.env['PUBLIC_BASE_URL'] = stack.apiUrl;
  process.env['LOCAL_SES_EVENTS_URL'] = `${stack.apiUrl}/v1/email-events`;
  process.env['LOCAL_SES_EVENTS_WRITE_KEY'] = stack.writeKey;
  resetConfig();
}

export interface StoredMail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly headers?: Array<{ name: string; value: string }>;
}

/** The SES emulator's store (every email it accepted). */
export async function sesStore(stack: LocalStack): Promise<StoredMail[]> {
  const res = await fetch(`${stack.endpoints.ses}/store`);
  const body = (await res.json()) as { emails: StoredMail[] };
  return body.emails;
}

export async function mailsTo(stack: LocalStack, address: string): Promise<StoredMail[]> {
  return (await sesStore(stack)).filter((m) => m.destination.to.includes(address));
}

/** A known customer with traits, stored through the real ingest path. */
export async function identify(stack: LocalStack, userId: string, traits: Record<string, unknown>, timestamp = '2026-01-01T00:00:00Z'): Promise<void> {
  const res = await post(stack, '/v1/identify', { userId, messageId: `id-${userId}-${timestamp}`, traits, timestamp });
  if (res.status !== 200) throw new Error(`identify failed: ${res.status}`);
}
