import { z } from 'zod';
import type { EmailEventType } from '../../kernel/events/stored-event.js';

/**
 * SES event publishing records (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html)
 * and the SNS envelope they travel in. Only the fields winback uses are checked; the rest pass.
 */
const Recipient = z.object({ emailAddress: z.string().min(3) });
const Timestamp = z.iso.datetime({ offset: true });

export const SesMail = z.object({
  timestamp: Timestamp,
  messageId: z.string().min(1),
  source: z.string().optional(),
  destination: z.array(z.string()).min(1),
  /** Message tags: SES adds ses:* tags; winback adds campaign, variant, customer, step. */
  tags: z.record(z.string(), z.array(z.string())).optional(),
});
export type SesMail = z.infer<typeof SesMail>;

const TopicPreferences = z.object({
  unsubscribeAll: z.boolean().optional(),
  topicSubscriptionStatus: z
    .array(z.object({ topicName: z.string(), subscriptionStatus: z.string() }))
    .optional(),
});

export const SesEventRecord = z
  .object({
    eventType: z.string().optional(),
    /** The older SES notifications use notificationType; accepted for the same types. */
    notificationType: z.string().optional(),
    mail: SesMail,
    send: z.object({}).passthrough().optional(),
    delivery: z.object({ timestamp: Timestamp, recipients: z.array(z.string()).min(1) }).optional(),
    open: z.object({ timestamp: Timestamp }).optional(),
    click: z.object({ timestamp: Timestamp, link: z.string() }).optional(),
    bounce: z
      .object({
        bounceType: z.enum(['Undetermined', 'Permanent', 'Transient']),
        bounceSubType: z.string(),
        bouncedRecipients: z.array(Recipient).min(1),
        timestamp: Timestamp,
        feedbackId: z.string().optional(),
      })
      .optional(),
    complaint: z
      .object({
        complainedRecipients: z.array(Recipient).min(1),
        timestamp: Timestamp,
        feedbackId: z.string().optional(),
        complaintFeedbackType: z.string().optional(),
      })
      .optional(),
    reject: z.object({ reason: z.string() }).optional(),
    deliveryDelay: z
      .object({ timestamp: Timestamp, delayedRecipients: z.array(Recipient).min(1), delayType: z.string().optional() })
      .optional(),
    failure: z.object({ errorMessage: z.string().optional(), templateName: z.string().optional() }).optional(),
    subscription: z
      .object({
        timestamp: Timestamp,
        contactList: z.string().optional(),
        newTopicPreferences: TopicPreferences.optional(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const type = r.eventType ?? r.notificationType;
    if (!type) {
      ctx.addIssue({ code: 'custom', path: ['eventType'], message: 'eventType is required' });
      return;
    }
    const known = Object.hasOwn(SES_EVENT_TYPES, type) ? SES_EVENT_TYPES[type as SesEventType] : undefined;
    const detail = known?.detail;
    if (known === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventType'],
        message: `unknown SES event type ${JSON.stringify(type)}; expected one of ${Object.keys(SES_EVENT_TYPES).join(', ')}`,
      });
    } else if (detail && r[detail] === undefined) {
      ctx.addIssue({ code: 'custom', path: [detail], message: `${detail} is required for a ${type} event` });
    }
  });
export type SesEventRecord = z.infer<typeof SesEventRecord>;

export type SesEventType =
  | 'Send'
  | 'Delivery'
  | 'Open'
  | 'Click'
  | 'Bounce'
  | 'Complaint'
  | 'Reject'
  | 'DeliveryDelay'
  | 'Rendering Failure'
  | 'RenderingFailure'
  | 'Subscription';

/** Per SES event type: the detail object it must carry (null: none) and winback's lower-case name. */
export const SES_EVENT_TYPES: Record<SesEventType, { detail: keyof SesEventRecord | null; type: EmailEventType }> = {
  Send: { detail: null, type: 'send' },
  Delivery: { detail: 'delivery', type: 'delivery' },
  Open: { detail: 'open', type: 'open' },
  Click: { detail: 'click', type: 'click' },
  Bounce: { detail: 'bounce', type: 'bounce' },
  Complaint: { detail: 'complaint', type: 'complaint' },
  Reject: { detail: 'reject', type: 'reject' },
  DeliveryDelay: { detail: 'deliveryDelay', type: 'deliverydelay' },
  'Rendering Failure': { detail: 'failure', type: 'renderingfailure' },
  RenderingFailure: { detail: 'failure', type: 'renderingfailure' },
  Subscription: { detail: 'subscription', type: 'subscription' },
};

/** An SNS message as delivered to an HTTP(S) endpoint or, with raw delivery off, as an SQS body. */
export const SnsEnvelope = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Subject: z.string().nullish(),
  Message: z.string(),
  Timestamp: Timestamp,
  SignatureVersion: z.enum(['1', '2']).optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
  SigningCertUrl: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
  SubscribeURL: z.string().optional(),
  Token: z.string().optional(),
});
export type SnsEnvelope = z.infer<typeof SnsEnvelope>;
