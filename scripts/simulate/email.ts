import { CONFIGURATION_SET_NAME } from '../../kernel/settings.js';
import { NEWSLETTER_FROM, SHOP_URL } from './catalogue.js';
import { engagementAt, type LatentCustomer } from './model.js';
import { MINUTE_MS, type Timeline } from './timeline.js';
import type { SesRecord } from './types.js';

/**
 * The weekly newsletter as SES event publishing reports it (the records of
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html, as in
 * test/fixtures/ses): Send, then Delivery or a Bounce, then perhaps an Open, a Click, a
 * Complaint, or an unsubscribe (Subscription). Messages carry the tags winback sets when it sends
 * (campaign, customer), so each event is tied to its customer without an address lookup.
 *
 * Opens and clicks follow the customer's engagement, which fades before they lapse. A permanent
 * bounce, a complaint or an unsubscribe ends the newsletter for that address, as the
 * suppression list would.
 */
export const NEWSLETTER_CAMPAIGN = 'newsletter';
/** Day of the period of the first issue; then every 7 days, at 09:00 UTC plus the send spread. */
export const FIRST_ISSUE_DAY = 2;
const ISSUE_HOUR = 9;
const ACCOUNT = '123456789012';
const SOURCE_ARN = `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/shop.example.test`;
const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
];

export const TRANSIENT_BOUNCE_RATE = 0.004;
/** Complaints and unsubscribes: rare when engaged, more likely as interest fades. */
const COMPLAINT_BASE = 0.0003;
const COMPLAINT_DISENGAGED = 0.002;
const UNSUBSCRIBE_BASE = 0.001;
const UNSUBSCRIBE_DISENGAGED = 0.01;

interface Mail {
  readonly ms: number;
  readonly messageId: string;
  readonly subject: string;
  readonly mail: Record<string, unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function buildMail(tl: Timeline, email: string, ms: number, issue: number): Mail {
  // Shaped like SES ids (0100 + send time in hex, a UUID, -000000); the UUID comes from the customer's generator.
  const messageId = `0100${ms.toString(16).padStart(12, '0')}-${tl.rng.uuid()}-000000`;
  const subject = `This week at the shop (issue ${issue})`;
  return {
    ms,
    messageId,
    subject,
    mail: {
      timestamp: iso(ms),
      source: NEWSLETTER_FROM,
      sourceArn: SOURCE_ARN,
      sendingAccountId: ACCOUNT,
      messageId,
      destination: [email],
      headersTruncated: false,
      headers: [
        { name: 'From', value: NEWSLETTER_FROM },
        { name: 'To', value: email },
        { name: 'Subject', value: subject },
        { name: 'MIME-Version', value: '1.0' },
        { name: 'Content-Type', value: 'multipart/alternative; boundary="----=_Part_0"' },
      ],
      commonHeaders: { from: [NEWSLETTER_FROM], to: [email], messageId, subject },
      tags: {
        'ses:configuration-set': [CONFIGURATION_SET_NAME],
        'ses:source-ip': ['192.0.2.10'],
        'ses:from-domain': ['shop.example.test'],
        'ses:caller-identity': ['winback'],
        campaign: [NEWSLETTER_CAMPAIGN],
        customer: [tl.customerId],
      },
    },
  };
}

function emit(tl: Timeline, ms: number, record: SesRecord): boolean {
  return tl.push(ms, (at) => ({ kind: 'ses', at, record }));
}

/** Emits the newsletter's records for one customer over the period. */
export function newsletter(tl: Timeline, c: LatentCustomer, email: string, days: number): void {
  if (!c.marketingConsent) return;
  const acquiredMs = tl.msOfDay(c.acquiredDay);
  let issue = 0;
  for (let day = FIRST_ISSUE_DAY; day < days; day += 7) {
    issue++;
    // SES works through the list at its sending rate: each address goes out within half an hour.
    const sendMs = tl.msOfDay(day) + ISSUE_HOUR * 3_600_000 + Math.round(tl.rng.uniform(0, 1800) * 1000);
    if (sendMs < acquiredMs) continue;
    if (!tl.inPeriod(sendMs)) break;
    const m = buildMail(tl, email, sendMs, issue);
    emit(tl, sendMs, { eventType: 'Send', mail: m.mail, send: {} });

    if (c.badAddress) {
      const at = sendMs + 1500;
      emit(tl, at, bounce(tl, m, email, at, 'Permanent'));
      return; // suppressed from now on
    }
    if (tl.rng.bernoulli(TRANSIENT_BOUNCE_RATE)) {
      const at = sendMs + 2000;
      emit(tl, at, bounce(tl, m, email, at, 'Transient'));
      continue;
    }
    const deliveredMs = sendMs + Math.round(tl.rng.uniform(300, 4000));
    emit(tl, deliveredMs, {
      eventType: 'Delivery',
      mail: m.mail,
      delivery: {
        timestamp: iso(deliveredMs),
        processingTimeMillis: deliveredMs - sendMs,
        recipients: [email],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'a8-70.smtp-out.amazonses.com',
        remoteMtaIp: '192.0.2.25',
      },
    });

    const engagement = engagementAt(c, day);
    if (tl.rng.bernoulli(c.openRate * engagement)) {
      const openMs = deliveredMs + Math.round(tl.rng.exponential(6 * 60) * MINUTE_MS);
      const agent = tl.rng.pick(USER_AGENTS);
      if (emit(tl, openMs, { eventType: 'Open', mail: m.mail, open: { ipAddress: '192.0.2.1', timestamp: iso(openMs), userAgent: agent } })) {
        if (tl.rng.bernoulli(c.clickRate * Math.sqrt(engagement))) {
          const clickMs = openMs + Math.round((10 + tl.rng.exponential(90)) * 1000);
          emit(tl, clickMs, {
            eventType: 'Click',
            mail: m.mail,
            click: {
              ipAddress: '192.0.2.1',
              link: `${SHOP_URL}/newsletter/${issue}?utm_source=newsletter&utm_medium=email`,
              linkTags: { campaign: [NEWSLETTER_CAMPAIGN] },
              timestamp: iso(clickMs),
              userAgent: agent,
            },
          });
        }
      }
    }
    // A complaint or an unsubscribe ends the customer's newsletter.
    const disengaged = 1 - engagement;
    const complained = afterDelivery(tl, deliveredMs, COMPLAINT_BASE + COMPLAINT_DISENGAGED * disengaged, [1, 48], (at) => ({
      eventType: 'Complaint',
      mail: m.mail,
      complaint: {
        feedbackId: feedbackId(tl, m),
        complaintSubType: null,
        complainedRecipients: [{ emailAddress: email }],
        timestamp: iso(at),
        userAgent: 'ExampleCorp Feedback Loop (V0.01)',
        complaintFeedbackType: 'abuse',
        arrivalDate: iso(at),
      },
    }));
    if (complained) return;
    const unsubscribed = afterDelivery(tl, deliveredMs, UNSUBSCRIBE_BASE + UNSUBSCRIBE_DISENGAGED * disengaged, [0.2, 72], (at) => ({
      eventType: 'Subscription',
      mail: m.mail,
      subscription: {
        contactList: 'shop-newsletter',
        timestamp: iso(at),
        source: 'UnsubscribeHeader',
        newTopicPreferences: { unsubscribeAll: true, topicSubscriptionStatus: [{ topicName: NEWSLETTER_CAMPAIGN, subscriptionStatus: 'OptOut' }] },
        oldTopicPreferences: { unsubscribeAll: false, topicSubscriptionStatus: [{ topicName: NEWSLETTER_CAMPAIGN, subscriptionStatus: 'OptIn' }] },
      },
    }));
    if (unsubscribed) return;
  }
}

/** With `probability`, emits `record` at a uniform number of hours (between the two) after delivery; whether it did. */
function afterDelivery(tl: Timeline, deliveredMs: number, probability: number, [minHours, maxHours]: [number, number], record: (at: number) => SesRecord): boolean {
  if (!tl.rng.bernoulli(probability)) return false;
  const at = deliveredMs + Math.round(tl.rng.uniform(minHours, maxHours) * 3_600_000);
  emit(tl, at, record(at));
  return true;
}

/** SES's feedback id of a bounce or complaint: the message id's start and a random part. */
function feedbackId(tl: Timeline, m: Mail): string {
  return `${m.messageId.slice(0, 16)}-${tl.rng.hex(8)}-000000`;
}

function bounce(tl: Timeline, m: Mail, email: string, ms: number, type: 'Permanent' | 'Transient'): SesRecord {
  const permanent = type === 'Permanent';
  return {
    eventType: 'Bounce',
    mail: m.mail,
    bounce: {
      bounceType: type,
      bounceSubType: permanent ? 'General' : 'MailboxFull',
      bouncedRecipients: [
        {
          emailAddress: email,
          action: 'failed',
          status: permanent ? '5.1.1' : '4.2.2',
          diagnosticCode: permanent ? 'smtp; 550 5.1.1 user unknown' : 'smtp; 452 4.2.2 mailbox full',
        },
      ],
      timestamp: iso(ms),
      feedbackId: feedbackId(tl, m),
      reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com',
    },
  };
}
