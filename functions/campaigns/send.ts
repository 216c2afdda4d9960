import { randomUUID } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { sesClient } from '../commons/clients.js';
import { getConfig } from '../commons/config.js';
import { RetryableError, ValidationError } from '../../kernel/errors.js';
import { logger } from '../commons/logger.js';
import {
  claimLedgerEntry,
  markLedgerFailed,
  markLedgerSent,
  releaseLedgerEntry,
  type LedgerEntry,
  type LedgerKey,
} from '../store/ledger.js';
import type { Group } from './assignment.js';
import type { SendReasons } from './reasons.js';
import type { RenderedMessage } from './render.js';
import { headerSafe } from './render.js';
import { sendRateLimiter, type RateLimiter } from './rate-limit.js';
import { emailEventPublisher, type EmailEventPublisher } from './ses-events.js';

/**
 * Exactly-once campaign email (as far as a crash allows: see the ledger's states).
 *
 *  1. claim the ledger entry (campaign, customer, step, entry) with a conditional write;
 *     if it exists, answer `duplicate` and call nothing;
 *  2. holdout: the entry is written as `holdout`, SES is not called;
 *  3. SES SendEmail (Content.Simple with the List-Unsubscribe headers, the configuration set, and
 *     the message tags campaign / variant / customer / step), behind the client-side rate limit,
 *     retrying throttling with full-jitter backoff;
 *  4. mark `sent` with SES's MessageId, or `failed` with the reason for a permanent refusal;
 *     a definite non-acceptance (throttled too long, a 5xx answer) releases the claim and throws
 *     RetryableError so that the orchestration retries; an unknown outcome (the connection broke
 *     after the request left) keeps `pending`: at-most-once, never a second email.
 */
export interface SendCampaignEmailInput {
  readonly table: string;
  readonly campaign: { readonly id: string; readonly transactional?: boolean };
  readonly customerId: string;
  readonly stepId: string;
  readonly entryId: string;
  readonly variant: string;
  readonly group: Group;
  /** Required for treatment; ignored for holdout. */
  readonly message?: RenderedMessage;
  /** Recipient address; required for treatment. */
  readonly to?: string;
  /** Extra SES message tags (names and values sanitised to [A-Za-z0-9_-]). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Template name, kept on the ledger item (no personal data). */
  readonly template?: string;
  /** A targeted campaign's reason codes, kept on the ledger item. */
  readonly reasons?: SendReasons;
  readonly now?: () => Date;
}

export type SendResult =
  | { readonly status: 'sent'; readonly messageId: string; readonly attempts: number }
  | { readonly status: 'holdout' }
  | { readonly status: 'duplicate'; readonly ledger: LedgerEntry }
  | { readonly status: 'failed'; readonly reason: string }
  /** The outcome is unknown (connection lost after the request was sent): left pending, never re-sent. */
  | { readonly status: 'pending'; readonly reason: string };

export interface SendDependencies {
  readonly limiter?: RateLimiter;
  readonly publisher?: EmailEventPublisher;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts on throttling before the claim is released and RetryableError thrown. Default 6. */
  readonly maxThrottleAttempts?: number;
}

const THROTTLING = new Set(['TooManyRequestsException', 'Throttling', 'ThrottlingException', 'LimitExceededException', 'ProvisionedThroughputExceededException']);
const PERMANENT = new Set([
  'MessageRejected',
  'MessageRejectedException',
  'AccountSuspendedException',
  'MailFromDomainNotVerifiedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
  'InvalidParameterValue',
]);

/** SES tag names and values: ASCII letters, digits, '_' and '-', at most 256 characters. */
export function sanitizeTag(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}
const TAG_SAFE = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The message tags of a send. The `customer` tag is how SES events find their customer again, so
 * it is only set when the id is tag-safe as is; otherwise it is left out and the email-event
 * processor falls back to the email index (a sanitised id would point at a customer who does not exist).
 */
export function messageTags(input: Pick<SendCampaignEmailInput, 'campaign' | 'variant' | 'customerId' | 'stepId' | 'tags'>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.tags ?? {})) tags[sanitizeTag(name)] = sanitizeTag(value);
  tags['campaign'] = sanitizeTag(input.campaign.id);
  tags['variant'] = sanitizeTag(input.variant);
  tags['step'] = sanitizeTag(input.stepId);
  if (TAG_SAFE.test(input.customerId)) tags['customer'] = input.customerId;
  return tags;
}

/**
 * An address SES can be given as is: one mailbox, no whitespace or control characters (CR/LF would
 * let a stored value add headers or recipients), at most 320 characters. The send step skips a
 * customer whose stored address fails this instead of failing its journey.
 */
export function isSendableAddress(address: string | undefined): address is string {
  return address !== undefined && address.length <= 320 && /^[^\s@<>,;"\u0000-\u001f\u007f]+@[^\s@<>,;"\u0000-\u001f\u007f]+$/.test(address);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Full jitter (AWS Architecture Blog): uniform in [0, min(cap, base * 2^attempt)). */
const backoff = (attempt: number): number => Math.random() * Math.min(5_000, 100 * 2 ** attempt);

type Classified = 'throttled' | 'permanent' | 'refused' | 'unknown';

function classify(error: unknown): Classified {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const name = e?.name ?? '';
  if (THROTTLING.has(name)) return 'throttled';
  if (PERMANENT.has(name)) return 'permanent';
  const status = e?.$metadata?.httpStatusCode;
  if (status === 429) return 'throttled';
  if (typeof status === 'number' && status >= 500) return 'refused';
  if (typeof status === 'number' && status >= 400) return 'permanent';
  return 'unknown';
}

const reasonOf = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${headerSafe(String(e?.message ?? ''), 300)}`;
};

export async function sendCampaignEmail(input: SendCampaignEmailInput, deps: SendDependencies = {}): Promise<SendResult> {
  const now = input.now ?? (() => new Date());
  const config = getConfig();
  const treatment = input.group === 'treatment';
  if (treatment && (!input.message || !input.to)) {
    throw new ValidationError('a treatment send needs a message and a recipient address', input.message ? 'to' : 'message');
  }
  // Checked before any cleaning: an address with CR/LF must be refused, not repaired into another one.
  if (treatment && !isSendableAddress(input.to)) throw new ValidationError('the recipient is not an email address', 'to');
  const to = input.to;

  const key: LedgerKey = { campaignId: input.campaign.id, customerId: input.customerId, stepId: input.stepId, entryId: input.entryId };
  const claimId = randomUUID();
  const claim = await claimLedgerEntry(input.table, {
    ...key,
    variant: input.variant,
    group: input.group,
    transactional: input.campaign.transactional === true,
    ...(input.template ? { template: input.template } : {}),
    ...(input.reasons ? { reasons: input.reasons } : {}),
    status: treatment ? 'pending' : 'holdout',
    claimId,
    now: now(),
  });
  if (!claim.claimed) return { status: 'duplicate', ledger: claim.existing };
  if (!treatment) return { status: 'holdout' };

  const message = input.message!;
  const tags = messageTags(input);
  const command = new SendEmailCommand({
    FromEmailAddress: config.SES_FROM_ADDRESS,
    Destination: { ToAddresses: [to!] },
    ConfigurationSetName: config.SES_CONFIGURATION_SET,
    EmailTags: Object.entries(tags).map(([Name, Value]) => ({ Name, Value })),
    Content: {
      Simple: {
        Subject: { Data: headerSafe(message.subject), Charset: 'UTF-8' },
        Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        // Custom headers only survive in Content.Simple.Headers (also on the local emulator).
        Headers: Object.entries(message.headers).map(([Name, Value]) => ({ Name: headerSafe(Name, 126), Value: headerSafe(Value, 2000) })),
      },
    },
  });
  const limiter = deps.limiter ?? sendRateLimiter(config.SES_MAX_SEND_RATE);
  const sleep = deps.sleep ?? defaultSleep;
  const maxAttempts = deps.maxThrottleAttempts ?? 6;
  const log = { campaignId: key.campaignId, stepId: key.stepId };

  for (let attempt = 1; ; attempt++) {
    await limiter.take();
    let messageId: string | undefined;
    try {
      messageId = (await sesClient().send(command)).MessageId;
    } catch (error) {
      const kind = classify(error);
      if (kind === 'throttled' && attempt < maxAttempts) {
        await sleep(backoff(attempt));
        continue;
      }
      if (kind === 'permanent') {
        const reason = reasonOf(error);
        await markLedgerFailed(input.table, key, claimId, reason, now());
        logger.warn('campaign send refused permanently', { ...log, error: (error as Error).name });
        return { status: 'failed', reason };
      }
      if (kind === 'unknown') {
        // The request may have reached SES: sending again could double-send. Leave it pending.
        logger.error('campaign send outcome unknown; ledger entry left pending', { ...log, error: (error as Error)?.name });
        return { status: 'pending', reason: reasonOf(error) };
      }
      await releaseLedgerEntry(input.table, key, claimId, reasonOf(error), now());
      throw new RetryableError(`SES did not accept the message (${(error as Error).name}) after ${attempt} attempt(s)`, { cause: error });
    }
    if (!messageId) {
      logger.error('SES answered without a MessageId; ledger entry left pending', log);
      return { status: 'pending', reason: 'no MessageId in the SES answer' };
    }
    const at = now();
    await markLedgerSent(input.table, key, claimId, messageId, at);
    await (deps.publisher ?? emailEventPublisher()).published({
      messageId,
      from: config.SES_FROM_ADDRESS,
      to: to!,
      subject: headerSafe(message.subject),
      configurationSet: config.SES_CONFIGURATION_SET,
      tags,
      at,
    });
    return { status: 'sent', messageId, attempts: attempt };
  }
}
