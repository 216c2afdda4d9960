import type { SnsEnvelope } from './ses-event.js';

/** The email-events topic of the local stack and of simulated streams (account 000000000000). */
export const LOCAL_EMAIL_EVENTS_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:winback-email-events';

export interface SnsNotificationFields {
  readonly messageId: string;
  /** When SNS published it (ISO). */
  readonly timestamp: string;
  readonly topicArn?: string;
}

/**
 * The one builder of an SNS `Notification` wrapping an SES event record, as SNS delivers it to an
 * HTTP(S) subscription or (raw delivery off) to SQS: the local SES event publisher, the simulated
 * streams and the tests all build it here. The signature fields are placeholders: in AWS, SNS
 * signs what it delivers; locally, the stack's signer (functions/ingest/sns-signature.ts) replaces them.
 */
export function snsNotificationOf(record: unknown, fields: SnsNotificationFields): SnsEnvelope & { Type: 'Notification' } {
  return {
    Type: 'Notification',
    MessageId: fields.messageId,
    TopicArn: fields.topicArn ?? LOCAL_EMAIL_EVENTS_TOPIC_ARN,
    Message: JSON.stringify(record),
    Timestamp: fields.timestamp,
    SignatureVersion: '1',
    Signature: 'bG9jYWw=',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  };
}
