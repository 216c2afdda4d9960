import { randomUUID } from 'node:crypto';
import { getConfig } from '../commons/config.js';
import { logger } from '../commons/logger.js';
import type { SnsEnvelope } from '../events/ses-event.js';
import { snsNotificationOf } from '../events/sns-notification.js';
import { localSnsSigner } from '../ingest/sns-signature.js';

/**
 * SES event publishing, for the local stack: in AWS, SES publishes Send / Delivery / Open / ...
 * records of the configuration set to SNS itself. The local SES emulator publishes nothing, so
 * after each accepted send the sender hands the records AWS would publish to a configured
 * publisher, which posts them as SNS notifications to the ingest API's `/v1/email-events`: the
 * same path, the same processor. Unset (AWS), the publisher does nothing. No `if (local)`.
 */
export interface SentMail {
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly configurationSet: string;
  /** Message tags as given to SES (campaign, variant, customer, step). */
  readonly tags: Readonly<Record<string, string>>;
  readonly at: Date;
}

/** The topic the local notifications claim to come from (accepted when SNS_TOPIC_ARNS is empty or lists it). */
export { LOCAL_EMAIL_EVENTS_TOPIC_ARN } from '../events/sns-notification.js';
const ACCOUNT = '000000000000';

function mailObject(mail: SentMail, extraTags: Record<string, string[]>): Record<string, unknown> {
  const fromDomain = mail.from.slice(mail.from.lastIndexOf('@') + 1).replace(/>$/, '');
  const tags: Record<string, string[]> = {
    'ses:configuration-set': [mail.configurationSet],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['winback-local'],
    ...extraTags,
  };
  for (const [name, value] of Object.entries(mail.tags)) tags[name] = [value];
  return {
    timestamp: mail.at.toISOString(),
    source: mail.from,
    sourceArn: `arn:aws:ses:us-east-1:${ACCOUNT}:identity/${fromDomain}`,
    sendingAccountId: ACCOUNT,
    messageId: mail.messageId,
    destination: [mail.to],
    headersTruncated: false,
    headers: [
      { name: 'From', value: mail.from },
      { name: 'To', value: mail.to },
      { name: 'Subject', value: mail.subject },
      { name: 'MIME-Version', value: '1.0' },
      { name: 'Content-Type', value: 'multipart/alternative; boundary="----=_Part_winback_local"' },
    ],
    commonHeaders: { from: [mail.from], to: [mail.to], messageId: mail.messageId, subject: mail.subject },
    tags,
  };
}

/** The Send and Delivery records SES publishes for an accepted message (SES event publishing format). */
export function sendAndDeliveryRecords(mail: SentMail): [Record<string, unknown>, Record<string, unknown>] {
  return [
    { eventType: 'Send', mail: mailObject(mail, {}), send: {} },
    {
      eventType: 'Delivery',
      mail: mailObject(mail, { 'ses:outgoing-ip': ['127.0.0.1'] }),
      delivery: {
        timestamp: new Date(mail.at.getTime() + 1).toISOString(),
        processingTimeMillis: 1,
        recipients: [mail.to],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'localhost',
      },
    },
  ];
}

export function snsNotification(record: unknown, at: Date): SnsEnvelope {
  return snsNotificationOf(record, { messageId: randomUUID(), timestamp: at.toISOString() });
}

export interface EmailEventPublisher {
  /** Publishes what SES would after accepting `mail`; never throws (the mail is sent either way). */
  published(mail: SentMail): Promise<void>;
}

export const noEmailEventPublisher: EmailEventPublisher = { published: async () => undefined };

export function httpEmailEventPublisher(url: string, writeKey: string | undefined): EmailEventPublisher {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-sns-message-type': 'Notification' };
  if (writeKey) headers['authorization'] = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const sign = localSnsSigner();
  return {
    published: async (mail) => {
      for (const record of sendAndDeliveryRecords(mail)) {
        try {
          // Stamped now (SNS's publish time; the record carries the mail's own times) and signed
          // with the local stack's key, which the ingest API verifies as it verifies SNS's.
          const notification = snsNotification(record, new Date());
          const body = JSON.stringify(sign ? sign(notification) : notification);
          const res = await fetch(url, { method: 'POST', headers, body });
          await res.arrayBuffer();
          if (!res.ok) logger.warn('local SES event not accepted', { status: res.status, eventType: String((record as { eventType?: unknown }).eventType) });
        } catch (error) {
          logger.warn('local SES event not published', { error: (error as Error).name });
        }
      }
    },
  };
}

let configured: { key: string; publisher: EmailEventPublisher } | undefined;

/** The publisher the configuration asks for: HTTP when LOCAL_SES_EVENTS_URL is set, else none. */
export function emailEventPublisher(): EmailEventPublisher {
  const config = getConfig();
  const key = `${config.LOCAL_SES_EVENTS_URL ?? ''}|${config.LOCAL_SES_EVENTS_WRITE_KEY ?? ''}`;
  if (configured?.key !== key) {
    configured = {
      key,
      publisher: config.LOCAL_SES_EVENTS_URL ? httpEmailEventPublisher(config.LOCAL_SES_EVENTS_URL, config.LOCAL_SES_EVENTS_WRITE_KEY) : noEmailEventPublisher,
    };
  }
  return configured.publisher;
}
