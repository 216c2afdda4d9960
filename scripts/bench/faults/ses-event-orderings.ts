import type { SQSRecord } from 'aws-lambda';
import { getConfig } from '../../../functions/commons/config.js';
import { sendAndDeliveryRecords, snsNotification } from '../../../functions/campaigns/ses-events.js';
import { handleSqsRecord } from '../../../functions/email/feedback.js';
import { queryCustomerEvents } from '../../../functions/store/events.js';
import { getSuppressions, isSuppressed } from '../../../functions/store/suppression.js';
import { pool, shuffle, type Scenario } from './scenario.js';

/**
 * SES and SNS deliver a message's events in any order (and more than once): Send, Delivery, Open,
 * Click, a permanent Bounce and a Complaint, in 1,000 random orderings with one event of each
 * redelivered, through the email-event processor's record handler. Every ordering must end in
 * the same state (six events stored once each; suppressed for bounce and complaint), and after a
 * Complaint the eligibility check refuses any further send.
 */
export const sesEventOrderings: Scenario = {
  name: 'ses-event-orderings',
  volume: 1_000,
  guarantee: 'SES events in any order or redelivered end in one final state, and no send follows a complaint',
  async run({ stack, operations, random }) {
    const config = getConfig();
    const options = { table: stack.tableName, retentionDays: config.EVENT_RETENTION_DAYS };
    const run = `r${Math.floor(random() * 1e9)}`;
    const states = new Map<string, number>();
    let lost = 0;
    let duplicated = 0;
    let sendable = 0;
    await pool(Array.from({ length: operations }, (_, i) => i), 16, async (i) => {
      const customerId = `${run}-ses-${i}`;
      const email = `${customerId}@example.com`;
      const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
      const ts = (s: number) => new Date(at.getTime() + s * 1000).toISOString();
      const [send, delivery] = sendAndDeliveryRecords({ messageId: `ses-${customerId}`, from: 'winback@example.com', to: email, subject: 'Hi', configurationSet: 'winback', tags: { customer: customerId, campaign: 'bench' }, at });
      const mail = send['mail'];
      const records = [
        send,
        delivery,
        { eventType: 'Open', mail, open: { timestamp: ts(60), userAgent: 'bench', ipAddress: '127.0.0.1' } },
        { eventType: 'Click', mail, click: { timestamp: ts(90), link: 'https://shop.example.com/', ipAddress: '127.0.0.1', userAgent: 'bench' } },
        { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: email }], timestamp: ts(120), feedbackId: `fb-b-${i}` } },
        { eventType: 'Complaint', mail, complaint: { complainedRecipients: [{ emailAddress: email }], timestamp: ts(150), feedbackId: `fb-c-${i}` } },
      ];
      const order = shuffle([...records, records[Math.floor(random() * records.length)]!], random);
      for (const [k, record] of order.entries()) {
        const body = JSON.stringify(snsNotification(record, at));
        await handleSqsRecord({ messageId: `${customerId}-${k}`, body, attributes: { SentTimestamp: String(at.getTime()) } } as unknown as SQSRecord, options);
      }
      const stored = (await queryCustomerEvents(stack.tableName, customerId)).filter((e) => e.kind === 'email');
      const names = stored.map((e) => e.name).sort();
      const unique = new Set(names);
      lost += Math.max(0, records.length - unique.size);
      duplicated += names.length - unique.size;
      const reasons = (await getSuppressions(stack.tableName, email)).map((s) => s.reason).sort();
      const state = `${[...unique].join(',')}|${reasons.join(',')}`;
      states.set(state, (states.get(state) ?? 0) + 1);
      if (!(await isSuppressed(stack.tableName, email))) sendable++;
    });
    const violations = Math.max(0, states.size - 1) + sendable;
    return { operations, lost, duplicated, violations, notes: { finalStates: states.size, finalState: [...states.keys()][0] ?? '', sendableAfterComplaint: sendable } };
  },
};
