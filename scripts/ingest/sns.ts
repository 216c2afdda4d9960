import { canonicalJson, sha256 } from '../../kernel/ids.js';
import { LOCAL_EMAIL_EVENTS_TOPIC_ARN, snsNotificationOf } from '../../functions/events/sns-notification.js';

/**
 * Wraps an SES event record the way SNS delivers it to an HTTP(S) subscription, which is what
 * `POST /v1/email-events` takes. Everything in the envelope derives from the record, so sending
 * the same record twice sends the same notification (SNS redelivery keeps its MessageId too),
 * and a simulated stream stays byte-for-byte reproducible: no clock, no random id.
 */
export const SIMULATED_TOPIC_ARN = LOCAL_EMAIL_EVENTS_TOPIC_ARN;

export type SnsNotification = ReturnType<typeof snsNotificationOf>;

/** The time SNS would have published the record at: the event's own time, else the mail's. */
function recordTime(record: Record<string, unknown>): string {
  const mail = record['mail'] as { timestamp?: unknown } | undefined;
  for (const detail of ['delivery', 'open', 'click', 'bounce', 'complaint', 'deliveryDelay', 'subscription']) {
    const ts = (record[detail] as { timestamp?: unknown } | undefined)?.timestamp;
    if (typeof ts === 'string') return ts;
  }
  return typeof mail?.timestamp === 'string' ? mail.timestamp : '1970-01-01T00:00:00.000Z';
}

export function snsNotificationFor(record: Record<string, unknown>, topicArn = SIMULATED_TOPIC_ARN): SnsNotification {
  const hex = sha256(canonicalJson(record));
  // SNS message ids are UUIDs; a UUID-shaped hash keeps the shape without a random source.
  const messageId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return snsNotificationOf(record, { messageId, timestamp: recordTime(record), topicArn });
}
