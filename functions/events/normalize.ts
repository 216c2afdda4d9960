import type { StoredEvent, StoredEmail } from '../../kernel/events/stored-event.js';
import { anonymousCustomerId, canonicalJson, normalizeEmail, sha256, toUtc, type NormalizeContext } from '../../kernel/ids.js';
import type { SegmentMessage } from './segment-event.js';
import { SES_EVENT_TYPES, type SesEventRecord, type SesEventType } from './ses-event.js';

/**
 * Source payloads -> StoredEvent. The eventId comes only from the producer's own ids,
 * so the same fact delivered twice becomes the same key and is stored once.
 */
export function normalizeSegment(message: SegmentMessage, ctx: NormalizeContext): StoredEvent {
  const messageId = message.messageId ?? `h-${sha256(canonicalJson(message)).slice(0, 32)}`;
  const timestamp = toUtc(message.timestamp ?? message.originalTimestamp ?? ctx.receivedAt);
  const base = {
    eventId: `seg:${messageId}`,
    customerId: message.userId ?? anonymousCustomerId(message.anonymousId as string),
    timestamp,
    receivedAt: ctx.receivedAt,
    source: ctx.source,
    ...(message.userId !== undefined ? { userId: message.userId } : {}),
    ...(message.anonymousId !== undefined ? { anonymousId: message.anonymousId } : {}),
  };
  switch (message.type) {
    case 'track':
      return { ...base, kind: 'track', name: message.event, properties: message.properties ?? {} };
    case 'page':
      return {
        ...base,
        kind: 'page',
        name: message.name || 'page',
        properties: { ...(message.properties ?? {}), ...(message.category ? { category: message.category } : {}) },
      };
    case 'identify': {
      const traits: Record<string, unknown> = { ...(message.traits ?? {}) };
      // Segment libraries put the browser's timezone in context; it drives quiet hours.
      const tz = message.context?.['timezone'];
      if (traits['timezone'] === undefined && typeof tz === 'string') traits['timezone'] = tz;
      return { ...base, kind: 'identify', name: 'identify', properties: {}, traits };
    }
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
