import type { SQSRecord } from 'aws-lambda';
import { SesEventRecord, SnsEnvelope } from '../events/ses-event.js';
import { normalizeSesRecord, type EmailEventForRecipient } from '../events/normalize.js';
import { emailCustomerId } from '../../kernel/ids.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { parseOrThrow } from '../events/validation.js';
import { storeEvents, type StoreOptions } from '../store/events.js';
import { customersByEmail } from '../store/profiles.js';
import { suppress } from '../store/suppression.js';

/** The SES record inside an SQS body: an SNS envelope (raw delivery off), or the bare record. */
export function sesRecordFromBody(body: string): SesEventRecord {
  const value: unknown = JSON.parse(body);
  if (value && typeof value === 'object' && 'Type' in value && 'Message' in value) {
    const envelope = parseOrThrow(SnsEnvelope, value);
    return parseOrThrow(SesEventRecord, JSON.parse(envelope.Message), 'Message');
  }
  return parseOrThrow(SesEventRecord, value);
}

/**
 * Stores an SES record's events under the customers they concern and maintains the suppression
 * list: a permanent bounce or a complaint suppresses the address; a transient bounce does not.
 */
export async function handleSesRecord(record: SesEventRecord, options: StoreOptions, receivedAt: string): Promise<void> {
  const perRecipient = normalizeSesRecord(record, { receivedAt, source: 'ses' });
  const events: StoredEvent[] = [];
  for (const { event, recipient, taggedCustomerId } of perRecipient) {
    const customerId = taggedCustomerId ?? (await customersByEmail(options.table, recipient))[0] ?? emailCustomerId(recipient);
    events.push({ ...event, customerId });
  }
  await storeEvents(events, options);
  await applySuppressions(options.table, perRecipient);
}

/** The suppression-list side of SES feedback, for records whose events are already stored. */
export async function applySuppressions(table: string, perRecipient: readonly EmailEventForRecipient[]): Promise<void> {
  for (const { event, recipient } of perRecipient) {
    const email = event.email;
    if (!email) continue;
    if (email.type === 'bounce' && email.bounceType === 'Permanent') {
      await suppress(table, recipient, {
        reason: 'bounce',
        at: event.timestamp,
        eventId: event.eventId,
        detail: email.bounceSubType ?? 'General',
      });
    } else if (email.type === 'complaint') {
      await suppress(table, recipient, {
        reason: 'complaint',
        at: event.timestamp,
        eventId: event.eventId,
        detail: email.complaintFeedbackType ?? 'abuse',
      });
    } else if (email.type === 'subscription' && email.unsubscribedAll) {
      await suppress(table, recipient, {
        reason: 'unsubscribe',
        at: event.timestamp,
        eventId: event.eventId,
        detail: 'ses-unsubscribe-all',
      });
    }
  }
}

export async function handleSqsRecord(record: SQSRecord, options: StoreOptions): Promise<void> {
  const sentAt = Number(record.attributes?.SentTimestamp);
  const receivedAt = new Date(Number.isFinite(sentAt) && sentAt > 0 ? sentAt : Date.now()).toISOString();
  await handleSesRecord(sesRecordFromBody(record.body), options, receivedAt);
}
