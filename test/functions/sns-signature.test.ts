import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { canonicalString, signSnsMessage, verifySnsSignature } from '../../functions/ingest/sns-signature.js';
import type { SnsEnvelope } from '../../functions/events/ses-event.js';
import { AuthenticationError } from '../../kernel/errors.js';

// A self-signed certificate stands in for SNS's; the verification code under test is the real one.
let certPem = '';
let keyPem = '';
const certUrl = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'sns-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=sns.amazonaws.com', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
});

function signed(version: '1' | '2', overrides: Partial<SnsEnvelope> = {}): SnsEnvelope {
  const message: SnsEnvelope = {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:winback-email-events',
    Message: '{"eventType":"Send"}',
    Timestamp: new Date().toISOString(),
    SignatureVersion: version,
    SigningCertURL: certUrl,
    ...overrides,
  };
  const signer = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  signer.update(canonicalString(message));
  return { ...message, Signature: signer.sign(keyPem, 'base64') };
}

const fetcher = async (url: string): Promise<string> => {
  expect(url).toBe(certUrl);
  return certPem;
};

describe('SNS signature verification', () => {
  it.each(['1', '2'] as const)('accepts a correctly signed SignatureVersion %s message', async (v) => {
    await expect(verifySnsSignature(signed(v), fetcher)).resolves.toBeUndefined();
  });

  it('rejects a message altered after signing', async () => {
    const message = { ...signed('2'), Message: '{"eventType":"Complaint"}' };
    await expect(verifySnsSignature(message, fetcher)).rejects.toThrow(AuthenticationError);
  });

  it('rejects a certificate that is not served by an SNS host', async () => {
    const message = signed('2', { SigningCertURL: 'https://evil.example.com/SimpleNotificationService-1.pem' });
    await expect(verifySnsSignature(message, fetcher)).rejects.toThrow(/not an SNS host/);
  });

  it('rejects an unsigned message', async () => {
    const { Signature: _s, ...unsigned } = signed('1');
    await expect(verifySnsSignature(unsigned, fetcher)).rejects.toThrow(/not signed/);
  });

  it('includes Subject in the canonical string only when present', () => {
    const base = signed('1');
    expect(canonicalString(base)).not.toContain('Subject');
    expect(canonicalString({ ...base, Subject: 'Hello' })).toContain('Subject\nHello\n');
  });

  it('rejects a stale or future-dated message, however well signed (a signature never expires; its Timestamp does)', async () => {
    const hourAgo = new Date(Date.now() - 61 * 60_000).toISOString();
    await expect(verifySnsSignature(signed('2', { Timestamp: hourAgo }), fetcher)).rejects.toThrow(/stale/);
    const later = new Date(Date.now() + 10 * 60_000).toISOString();
    await expect(verifySnsSignature(signed('2', { Timestamp: later }), fetcher)).rejects.toThrow(/future/);
    const fresh = new Date(Date.now() - 59 * 60_000).toISOString();
    await expect(verifySnsSignature(signed('2', { Timestamp: fresh }), fetcher)).resolves.toBeUndefined();
  });

  it('trusts a local signing key only at its exact allow-listed URL', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const localUrl = 'file:///tmp/winback-data/sns-signing-cert.pem';
    const localFetcher = async (url: string): Promise<string> => {
      expect(url).toBe(localUrl);
      return publicKey.export({ type: 'spki', format: 'pem' }) as string;
    };
    const message = signSnsMessage({ ...signed('2'), Signature: undefined }, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, localUrl);
    await expect(verifySnsSignature(message, localFetcher, undefined, { trustedCertUrls: [localUrl] })).resolves.toBeUndefined();
    await expect(verifySnsSignature(message, localFetcher)).rejects.toThrow(/not an SNS host/);
    await expect(verifySnsSignature({ ...message, Message: '{"eventType":"Complaint"}' }, localFetcher, undefined, { trustedCertUrls: [localUrl] })).rejects.toThrow(
      /does not verify/,
    );
  });
});
