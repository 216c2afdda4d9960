import { createVerify, X509Certificate } from 'node:crypto';
import type { SnsEnvelope } from '../events/ses-event.js';
import { AuthenticationError } from '../../kernel/errors.js';

/**
 * Verifies an SNS message signature as AWS documents it ("Verifying the signatures of Amazon SNS
 * messages"): the certificate must come from an SNS host, and the signature covers a canonical
 * string of selected fields in a fixed order.
 */
const CERT_URL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/SimpleNotificationService-[A-Za-z0-9]+\.pem$/;

export type CertificateFetcher = (url: string) => Promise<string>;

const certCache = new Map<string, Promise<string>>();

export const fetchCertificate: CertificateFetcher = (url) => {
  let cert = certCache.get(url);
  if (!cert) {
    cert = fetch(url).then(async (r) => {
      if (!r.ok) throw new AuthenticationError(`cannot fetch the SNS signing certificate (HTTP ${r.status})`);
      return r.text();
    });
    cert.catch(() => certCache.delete(url));
    certCache.set(url, cert);
  }
  return cert;
};

export function canonicalString(m: SnsEnvelope): string {
  const fields: Array<[string, string | null | undefined]> =
    m.Type === 'Notification'
      ? [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ['Subject', m.Subject],
          ['Timestamp', m.Timestamp],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ]
      : [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ['SubscribeURL', m.SubscribeURL],
          ['Timestamp', m.Timestamp],
          ['Token', m.Token],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ];
  return fields
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
}

export async function verifySnsSignature(
  message: SnsEnvelope,
  fetcher: CertificateFetcher = fetchCertificate,
  certUrlPattern: RegExp = CERT_URL,
): Promise<void> {
  const certUrl = message.SigningCertURL ?? message.SigningCertUrl;
  if (!certUrl || !message.Signature || !message.SignatureVersion) {
    throw new AuthenticationError('SNS message is not signed');
  }
  if (!certUrlPattern.test(certUrl)) throw new AuthenticationError('SNS signing certificate URL is not an SNS host');
  const pem = await fetcher(certUrl);
  const algorithm = message.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  const verifier = createVerify(algorithm);
  verifier.update(canonicalString(message), 'utf8');
  const ok = verifier.verify(new X509Certificate(pem).publicKey, message.Signature, 'base64');
  if (!ok) throw new AuthenticationError('SNS message signature does not verify');
}
