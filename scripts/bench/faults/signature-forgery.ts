import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resetConfig } from '../../../functions/commons/config.js';
import { sendAndDeliveryRecords, snsNotification } from '../../../functions/campaigns/ses-events.js';
import type { SnsEnvelope } from '../../../functions/events/ses-event.js';
import { localSnsSigner, signSnsMessage } from '../../../functions/ingest/sns-signature.js';
import { resetShopifySecret } from '../../../functions/ingest/shopify/shopify-secret.js';
import { shopifyHmac } from '../../../functions/ingest/shopify/shopify-signature.js';
import { pool, type Scenario } from './scenario.js';

/**
 * Forged webhooks: SNS notifications (SES feedback: a forged complaint would suppress anyone) with
 * a bad signature, a certificate from a foreign host or file, a foreign topic, a stale Timestamp,
 * or replayed after a genuine delivery; Shopify webhooks with a bad, foreign-key or stale-body
 * HMAC. Accepted means answered 2xx and queued; a replay may be acknowledged (200 duplicate), not
 * queued again.
 */
const KINDS = ['sns-bad-signature', 'sns-foreign-cert-host', 'sns-foreign-cert-file', 'sns-foreign-topic', 'sns-stale', 'sns-replay', 'shopify-bad-hmac', 'shopify-foreign-key', 'shopify-altered-body'] as const;

export const signatureForgery: Scenario = {
  name: 'signature-forgery',
  volume: 10_000,
  guarantee: 'a forged, foreign, stale or replayed SNS or Shopify webhook is refused (or acknowledged as a duplicate) and queues nothing',
  async run({ stack, operations, random }) {
    const sign = localSnsSigner();
    if (!sign) throw new Error('the local stack has no SNS signing key (LOCAL_SNS_SIGNING_KEY_FILE)');
    process.env['WINBACK_SHOPIFY_SECRET'] = `bench-shopify-${Math.floor(random() * 1e12)}`;
    resetConfig();
    resetShopifySecret();
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attackerKey = attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const attackerCert = path.join(stack.dataDir, '..', `attacker-${process.pid}.pem`);
    writeFileSync(attackerCert, attacker.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const now = new Date();
    const notification = (i: number): SnsEnvelope => {
      const [send] = sendAndDeliveryRecords({
        messageId: `forged-${i}`,
        from: 'winback@example.com',
        to: `forged-${i}@example.com`,
        subject: 'x',
        configurationSet: 'winback',
        tags: {},
        at: now,
      });
      const complaint = { ...send, eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: `forged-${i}@example.com` }], timestamp: now.toISOString() } };
      return snsNotification(complaint, now) as SnsEnvelope;
    };
    const post = async (route: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; duplicate: boolean }> => {
      const res = await fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await res.text();
      return { status: res.status, duplicate: res.status === 200 && text.includes('"duplicate":true') };
    };
    const counts: Record<string, number> = {};
    let accepted = 0;
    let genuineRefused = 0;
    const ids = Array.from({ length: operations }, (_, i) => i);
    await pool(ids, 16, async (i) => {
      const kind = KINDS[Math.floor(random() * KINDS.length)]!;
      counts[kind] = (counts[kind] ?? 0) + 1;
      const n = notification(i);
      let out: { status: number; duplicate: boolean };
      switch (kind) {
        case 'sns-bad-signature': {
          const signed = sign(n);
          const other = sign({ ...n, Message: n.Message.replace('Complaint', 'Delivery') });
          out = await post('/v1/email-events', JSON.stringify({ ...signed, Signature: random() < 0.5 ? other.Signature : Buffer.from(signed.Signature!, 'base64').reverse().toString('base64') }));
          break;
        }
        case 'sns-foreign-cert-host':
          out = await post('/v1/email-events', JSON.stringify(signSnsMessage(n, attackerKey, 'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-1.pem')));
          break;
        case 'sns-foreign-cert-file':
          out = await post('/v1/email-events', JSON.stringify(signSnsMessage(n, attackerKey, pathToFileURL(attackerCert).href)));
          break;
        case 'sns-foreign-topic':
          out = await post('/v1/email-events', JSON.stringify(sign({ ...n, TopicArn: 'arn:aws:sns:us-east-1:999999999999:someone-else' })));
          break;
        case 'sns-stale':
          out = await post('/v1/email-events', JSON.stringify(sign({ ...n, Timestamp: new Date(now.getTime() - (61 + random() * 10_000) * 60_000).toISOString() })));
          break;
        case 'sns-replay': {
          const body = JSON.stringify(sign({ ...n, MessageId: `replay-${i}` }));
          const first = await post('/v1/email-events', body);
          if (first.status !== 200 || first.duplicate) genuineRefused++;
          out = await post('/v1/email-events', body);
          if (out.status === 200 && out.duplicate) out = { status: 409, duplicate: true };
          break;
        }
        case 'shopify-bad-hmac':
        case 'shopify-foreign-key':
        case 'shopify-altered-body': {
          const body = JSON.stringify({ id: 820982911946154500 + i, email: `forged-${i}@example.com`, accepts_marketing: false, updated_at: now.toISOString() });
          const secret = kind === 'shopify-foreign-key' ? 'not-the-shop-secret' : process.env['WINBACK_SHOPIFY_SECRET']!;
          let hmac = shopifyHmac(body, secret);
          if (kind === 'shopify-bad-hmac') hmac = Buffer.from(Buffer.from(hmac, 'base64').map((b, j) => (j === 0 ? b ^ 1 : b))).toString('base64');
          const sent = kind === 'shopify-altered-body' ? body.replace('"accepts_marketing":false', '"accepts_marketing":true') : body;
          out = await post('/webhooks/shopify', sent, {
            'x-shopify-hmac-sha256': hmac,
            'x-shopify-topic': 'customers/update',
            'x-shopify-shop-domain': 'bench.myshopify.com',
            'x-shopify-webhook-id': `wh-${i}`,
          });
          break;
        }
      }
      if (out.status >= 200 && out.status < 300) accepted++;
    });
    delete process.env['WINBACK_SHOPIFY_SECRET'];
    resetConfig();
    resetShopifySecret();
    return { operations, lost: genuineRefused, duplicated: 0, violations: accepted, notes: counts };
  },
};
