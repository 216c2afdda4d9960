import type { StoredContext, StoredEvent, StoredEmail } from '../../kernel/events/stored-event.js';
import { anonymousCustomerId, canonicalJson, normalizeEmail, sha256, toUtc, type NormalizeContext } from '../../kernel/ids.js';
import type { SegmentMessage } from './segment-event.js';
import { SES_EVENT_TYPES, type SesEventRecord, type SesEventType } from './ses-event.js';

/** Segment's optional batch-level fields, which apply to each message of the batch. */
export interface SegmentNormalizeContext extends NormalizeContext {
  /** The batch's `sentAt` (analytics-node and batching analytics.js send it once per batch). */
  readonly sentAt?: string;
  /** The batch's `context`, under each message's own (the message's fields win). */
  readonly context?: Record<string, unknown>;
}

/**
 * A sender clock this close to winback's is network and queueing delay, not a wrong clock: its
 * time is kept exactly (so explicit server timestamps stay exact and retries converge).
 */
export const CLOCK_SKEW_TOLERANCE_MS = 60_000;

/**
 * Segment's clock-skew correction: `timestamp = receivedAt - (sentAt - originalTimestamp)`. The
 * sender's clock reading is `originalTimestamp`, or `timestamp` when only that is given (what
 * analytics.js sends: the device's clock); a message carrying both was corrected already and is
 * kept as is. Without `sentAt` nothing can be measured and the sender's time is used.
 */
export function correctedTime(
  message: Pick<SegmentMessage, 'timestamp' | 'originalTimestamp' | 'sentAt'>,
  ctx: SegmentNormalizeContext,
): { timestamp: string; originalTimestamp?: string; producerTime?: true } {
  if (message.timestamp !== undefined && message.originalTimestamp !== undefined) {
    return { timestamp: toUtc(message.timestamp), producerTime: true };
  }
  const sender = message.originalTimestamp ?? message.timestamp;
  if (sender === undefined) return { timestamp: ctx.receivedAt };
  const sentAt = message.sentAt ?? ctx.sentAt;
  const skew = sentAt === undefined ? 0 : Date.parse(ctx.receivedAt) - Date.parse(sentAt);
  if (Math.abs(skew) <= CLOCK_SKEW_TOLERANCE_MS) return { timestamp: toUtc(sender), producerTime: true };
  return { timestamp: new Date(Date.parse(sender) + skew).toISOString(), originalTimestamp: toUtc(sender), producerTime: true };
}

const MAX_CONTEXT_TEXT = 1000;
const MAX_CAMPAIGN_FIELDS = 10;
const text = (value: unknown, max = MAX_CONTEXT_TEXT): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : typeof value === 'number' ? String(value) : undefined;

/** The context fields winback keeps (see StoredContext), cut to their limits so a long value cannot fail the event. */
export function keptContext(raw: Record<string, unknown> | undefined): StoredContext | undefined {
  if (!raw) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, max] of [['ip', 64], ['userAgent', MAX_CONTEXT_TEXT], ['locale', 64], ['timezone', 64]] as const) {
    const value = text(raw[key], max);
    if (value !== undefined) out[key] = value;
  }
  const campaign = raw['campaign'];
  if (campaign && typeof campaign === 'object' && !Array.isArray(campaign)) {
    const utm = Object.entries(campaign as Record<string, unknown>)
      .map(([k, v]) => [k.slice(0, 64), text(v)] as const)
      .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
      .slice(0, MAX_CAMPAIGN_FIELDS);
    if (utm.length > 0) out['campaign'] = Object.fromEntries(utm);
  }
  return Object.keys(out).length > 0 ? (out as StoredContext) : undefined;
}

/** The content of a message that identifies it when it has no messageId: `sentAt` changes on every retry. */
function fallbackMessageId(message: SegmentMessage): string {
  const { sentAt: _sentAt, ...content } = message;
  return `h-${sha256(canonicalJson(content)).slice(0, 32)}`;
}

/**
 * Source payloads -> StoredEvent. The eventId comes only from the producer's own ids,
 * so the same fact delivered twice becomes the same key and is stored once.
 */
export function normalizeSegment(message: SegmentMessage, ctx: SegmentNormalizeContext): StoredEvent {
  const messageId = message.messageId ?? fallbackMessageId(message);
  const rawContext = ctx.context || message.context ? { ...(ctx.context ?? {}), ...(message.context ?? {}) } : undefined;
  const context = keptContext(rawContext);
  const base = {
    eventId: `seg:${messageId}`,
    customerId: message.userId ?? anonymousCustomerId(message.anonymousId as string),
    ...correctedTime(message, ctx),
    receivedAt: ctx.receivedAt,
    source: ctx.source,
    ...(message.userId !== undefined ? { userId: message.userId } : {}),
    ...(message.anonymousId !== undefined ? { anonymousId: message.anonymousId } : {}),
    ...(context ? { context } : {}),
  };
  switch (message.type) {
    case 'track':
      return { ...base, kind: 'track', name: message.event, properties: message.properties ?? {} };
    case 'page':
    case 'screen':
      return {
        ...base,
        kind: 'page',
        name: message.name || message.type,
        properties: { ...(message.properties ?? {}), ...(message.category ? { category: message.category } : {}) },
        ...(message.type === 'screen' ? { view: 'screen' as const } : {}),
      };
    case 'identify': {
      const traits: Record<string, unknown> = { ...(message.traits ?? {}) };
      // Segment libraries put the browser's timezone in context; it drives quiet hours.
      const tz = rawContext?.['timezone'];
      if (traits['timezone'] === undefined && typeof tz === 'string') traits['timezone'] = tz;
      return { ...base, kind: 'identify', name: 'identify', properties: {}, traits };
    }
    case 'group':
      return { ...base, kind: 'group', name: 'group', properties: {}, groupId: message.groupId, traits: message.traits ?? {} };
    case 'alias':
      return { ...base, kind: 'alias', name: 'alias', properties: {}, previousId: message.previousId };
  }
}

/** One SES record may name several recipients; each becomes its own event (and suppression). */
export interface EmailEventForRecipient {
  /** Without customerId: the processor resolves it (message tag, email index, or pseudonym). */
  readonly event: Omit<StoredEvent, 'customerId'>;
  readonly recipient: string;
  /** The customer id winback tagged the message with when it sent it, if any. */
  readonly taggedCustomerId?: string;
}


export function normalizeSesRecord(record: SesEventRecord, ctx: NormalizeContext): EmailEventForRecipient[] {
  const rawType = (record.eventType ?? record.notificationType) as string;
  const type = Object.hasOwn(SES_EVENT_TYPES, rawType) ? SES_EVENT_TYPES[rawType as SesEventType].type : undefined;
  if (!type) return [];
  const tag = (name: string): string | undefined => record.mail.tags?.[name]?.[0];
  let recipients: string[] = record.mail.destination;
  let at = record.mail.timestamp;
  const detail: Partial<StoredEmail> = {};
  switch (type) {
    case 'delivery':
      recipients = record.delivery!.recipients;
      at = record.delivery!.timestamp;
      break;
    case 'bounce':
      recipients = record.bounce!.bouncedRecipients.map((r) => r.emailAddress);
      at = record.bounce!.timestamp;
      detail.bounceType = record.bounce!.bounceType;
      detail.bounceSubType = record.bounce!.bounceSubType;
      break;
    case 'complaint':
      recipients = record.complaint!.complainedRecipients.map((r) => r.emailAddress);
      at = record.complaint!.timestamp;
      if (record.complaint!.complaintFeedbackType) detail.complaintFeedbackType = record.complaint!.complaintFeedbackType;
      break;
    case 'deliverydelay':
      recipients = record.deliveryDelay!.delayedRecipients.map((r) => r.emailAddress);
      at = record.deliveryDelay!.timestamp;
      break;
    case 'open':
      at = record.open!.timestamp;
      break;
    case 'click':
      at = record.click!.timestamp;
      detail.link = record.click!.link;
      break;
    case 'subscription': {
      at = record.subscription!.timestamp;
      const prefs = record.subscription!.newTopicPreferences;
      detail.unsubscribedAll = prefs?.unsubscribeAll ?? false;
      detail.unsubscribedTopics = (prefs?.topicSubscriptionStatus ?? [])
        .filter((t) => t.subscriptionStatus.replace(/[^a-z]/gi, '').toLowerCase() === 'optout')
        .map((t) => t.topicName);
      break;
    }
    default:
      break;
  }
  const timestamp = toUtc(at);
  const campaignId = tag('campaign');
  const variant = tag('variant');
  const taggedCustomerId = tag('customer');
  return recipients.map((recipient) => {
    const addr = normalizeEmail(recipient);
    // Opens and clicks legitimately repeat for one message, so their key includes the event time;
    // SES redelivers the same record with the same time, which still converges.
    const repeatable = type === 'open' || type === 'click' ? `:${timestamp}` : '';
    return {
      recipient: addr,
      ...(taggedCustomerId ? { taggedCustomerId } : {}),
      event: {
        eventId: `ses:${record.mail.messageId}:${type}:${sha256(addr).slice(0, 16)}${repeatable}`,
        kind: 'email',
        name: type,
        timestamp,
        producerTime: true,
        receivedAt: ctx.receivedAt,
        source: ctx.source,
        properties: {},
        email: {
          type,
          messageId: record.mail.messageId,
          ...(campaignId ? { campaignId } : {}),
          ...(variant ? { variant } : {}),
          ...detail,
        },
      },
    };
  });
}
