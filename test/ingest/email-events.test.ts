import { describe, expect, it } from 'vitest';
import { addressedSesRecord, sesFixture } from '../helpers/ses-fixtures.js';
import { post, snsNotification, useLocalStack } from '../helpers/stack.js';
import { getSuppressions } from '../../functions/store/suppression.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';

const stackOf = useLocalStack();
/** An AWS example record, re-addressed to one recipient. */
const addressed = (name: string, email: string, messageId: string): Record<string, any> => addressedSesRecord(name, { email, messageId });

describe('SES event publishing records arriving as SNS notifications', () => {
  it('a permanent bounce and a complaint suppress the address; a transient bounce does not', async () => {
    const stack = stackOf();
    // Prepare: the customers are known by email
    for (const [id, email] of [['b1', 'Hard.Bounce@Example.com'], ['b2', 'soft@example.com'], ['b3', 'angry@example.com']]) {
      expect((await post(stack, '/v1/identify', { userId: id, messageId: `id-${id}`, traits: { email } })).status).toBe(200);
    }
    await stack.drain({ timeoutMs: 30_000 });
    // Act
    const notes = [
      snsNotification(addressed('bounce-permanent', 'hard.bounce@example.com', 'mid-1')),
      snsNotification(addressed('bounce-transient', 'soft@example.com', 'mid-2')),
      snsNotification(addressed('complaint', 'angry@example.com', 'mid-3')),
    ];
    for (const n of notes) expect((await post(stack, '/v1/email-events', n)).status).toBe(200);
    // the same bounce again, as SNS may redeliver it
    expect((await post(stack, '/v1/email-events', notes[0])).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect((await getSuppressions(stack.tableName, 'hard.bounce@example.com')).map((s) => s.reason)).toEqual(['bounce']);
    expect(await getSuppressions(stack.tableName, 'soft@example.com')).toEqual([]);
    expect((await getSuppressions(stack.tableName, 'ANGRY@example.com')).map((s) => s.reason)).toEqual(['complaint']);
    const b1 = await queryCustomerEvents(stack.tableName, 'b1');
    expect(b1.filter((e) => e.kind === 'email').map((e) => e.name)).toEqual(['bounce']);
    const b2 = await queryCustomerEvents(stack.tableName, 'b2');
    expect(b2.find((e) => e.kind === 'email')?.email).toMatchObject({ bounceType: 'Transient' });
  });

  it('a Subscription event withdraws consent for the topics left', async () => {
    const stack = stackOf();
    await post(stack, '/v1/identify', { userId: 's1', messageId: 'id-s1', traits: { email: 'leaver@example.com', consent: { marketing: true } }, timestamp: '2020-01-01T00:00:00Z' });
    await stack.drain({ timeoutMs: 30_000 });
    const record = sesFixture('subscription');
    record['mail'].destination = ['leaver@example.com'];
    expect((await post(stack, '/v1/email-events', snsNotification(record))).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    const profile = await getProfile(stack.tableName, 's1');
    expect(profile?.consent['marketing']?.granted).toBe(true);
    expect(profile?.consent['*']?.granted).toBe(false);
    expect(profile?.consent['ExampleTopicName']?.granted).toBe(false);
    expect((await getSuppressions(stack.tableName, 'leaver@example.com')).map((s) => s.reason)).toEqual(['unsubscribe']);
  });

  it('rejects a notification whose SES record is malformed, naming the field', async () => {
    const record = sesFixture('bounce-permanent');
    delete record['bounce'].bouncedRecipients;
    const res = await post(stackOf(), '/v1/email-events', snsNotification(record));
    expect(res.status).toBe(400);
    expect(res.body['field']).toBe('Message.bounce.bouncedRecipients');
  });

  it('locally too, the write key alone cannot post a notification: unsigned, foreign-signed, stale and replayed ones change nothing', async () => {
    const stack = stackOf();
    await post(stack, '/v1/identify', { userId: 'forged-1', messageId: 'id-forged-1', traits: { email: 'victim@example.com' } });
    await stack.drain({ timeoutMs: 30_000 });
    const complaint = (messageId: string) => snsNotification(addressed('complaint', 'victim@example.com', messageId));
    const unsigned = { ...complaint('mid-f1'), Signature: 'bG9jYWw=', SignatureVersion: '1' };
    expect((await post(stack, '/v1/email-events', unsigned)).status).toBe(401);
    const awsHost = { ...complaint('mid-f2'), SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local.pem' };
    expect((await post(stack, '/v1/email-events', awsHost)).status).toBe(401);
    const otherFile = { ...complaint('mid-f3'), SigningCertURL: 'file:///tmp/attacker-cert.pem' };
    expect((await post(stack, '/v1/email-events', otherFile)).status).toBe(401);
    const staleRecord = addressed('complaint', 'victim@example.com', 'mid-f4');
    const stale = snsNotification(staleRecord);
    const restamped = { ...stale, Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() };
    expect((await post(stack, '/v1/email-events', restamped)).status).toBe(401);
    await stack.drain({ timeoutMs: 30_000 });
    expect(await getSuppressions(stack.tableName, 'victim@example.com')).toEqual([]);
    // A genuine one is accepted once; the same notification again is acknowledged and dropped.
    const genuine = complaint('mid-f5');
    expect((await post(stack, '/v1/email-events', genuine)).body).toEqual({ success: true });
    expect((await post(stack, '/v1/email-events', genuine)).body).toEqual({ success: true, duplicate: true });
    await stack.drain({ timeoutMs: 30_000 });
    expect((await getSuppressions(stack.tableName, 'victim@example.com')).map((x) => x.reason)).toEqual(['complaint']);
  });
});
