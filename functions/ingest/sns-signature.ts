import { createPublicKey, createSign, createVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SnsEnvelope } from '../events/ses-event.js';
import { AuthenticationError } from '../../kernel/errors.js';
import { liveSettings } from '../commons/config.js';

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
    // file: URLs are only ever reached for an allow-listed local certificate (see verifySnsSignature).
    cert = (url.startsWith('file:') ? readFile(fileURLToPath(url), 'utf8') : fetch(url)).then(async (r) => {
      if (typeof r === 'string') return r;
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

/** How old a notification may be: SNS delivers within seconds and retries for about an hour. */
export const SNS_MAX_AGE_MS = 60 * 60 * 1000;
/** Clock difference tolerated for a Timestamp ahead of ours. */
const SNS_MAX_FUTURE_MS = 5 * 60 * 1000;

export interface VerifyOptions {
  readonly now?: Date;
  readonly maxAgeMs?: number;
  /**
   * Certificate URLs trusted besides SNS's own hosts: the local stack's signing certificate
   * (LOCAL_SNS_SIGNING_CERT_URL), never set in AWS. Exact matches only.
   */
  readonly trustedCertUrls?: readonly string[];
}

export async function verifySnsSignature(
  message: SnsEnvelope,
  fetcher: CertificateFetcher = fetchCertificate,
  certUrlPattern: RegExp = CERT_URL,
  opts: VerifyOptions = {},
): Promise<void> {
  const certUrl = message.SigningCertURL ?? message.SigningCertUrl;
  if (!certUrl || !message.Signature || !message.SignatureVersion) {
    throw new AuthenticationError('SNS message is not signed');
  }
  if (!(opts.trustedCertUrls ?? []).includes(certUrl) && !certUrlPattern.test(certUrl)) {
    throw new AuthenticationError('SNS signing certificate URL is not an SNS host');
  }
  if (message.SignatureVersion !== '1' && message.SignatureVersion !== '2') throw new AuthenticationError('SNS SignatureVersion must be 1 or 2');
  // A signed message stays valid forever; only its Timestamp (covered by the signature) bounds a replay.
  const sent = Date.parse(message.Timestamp);
  const now = (opts.now ?? new Date()).getTime();
  if (!Number.isFinite(sent)) throw new AuthenticationError('SNS message Timestamp is not a time');
  if (now - sent > (opts.maxAgeMs ?? SNS_MAX_AGE_MS)) throw new AuthenticationError('SNS message is stale (Timestamp older than the accepted window)');
  if (sent - now > SNS_MAX_FUTURE_MS) throw new AuthenticationError('SNS message Timestamp is in the future');
  const pem = await fetcher(certUrl);
  const algorithm = message.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  const verifier = createVerify(algorithm);
  verifier.update(canonicalString(message), 'utf8');
  let ok = false;
  try {
    // A certificate (SNS) or a bare public key (the local stack's signing key) alike.
    ok = verifier.verify(createPublicKey(pem), message.Signature, 'base64');
  } catch (error) {
    throw new AuthenticationError('SNS signing certificate cannot be read', { cause: error });
  }
  if (!ok) throw new AuthenticationError('SNS message signature does not verify');
}

/**
 * Signs a notification as SNS does (SignatureVersion 2, RSA-SHA256 over the canonical string).
 * For the local stack, which stands in for SNS with its own key; the certificate URL must be the
 * one the verifier trusts (LOCAL_SNS_SIGNING_CERT_URL).
 */
export function signSnsMessage<T extends SnsEnvelope>(message: T, privateKeyPem: string, certUrl: string): T {
  const unsigned = { ...message, SignatureVersion: '2', SigningCertURL: certUrl } as T;
  const signer = createSign('RSA-SHA256');
  signer.update(canonicalString(unsigned), 'utf8');
  return { ...unsigned, Signature: signer.sign(privateKeyPem, 'base64') };
}

const localKeys = new Map<string, string>();

/**
 * The local stack's SNS stand-in: signs a notification with the key named by
 * LOCAL_SNS_SIGNING_KEY_FILE for the certificate LOCAL_SNS_SIGNING_CERT_URL, both set by the local
 * stack's environment (live settings, not the cached full config, so that a CLI pointed at
 * a deployed stack can call it too). Undefined when no local key is configured: in AWS, SNS signs.
 */
export function localSnsSigner(): (<T extends SnsEnvelope>(message: T) => T) | undefined {
  const { LOCAL_SNS_SIGNING_KEY_FILE: keyFile, LOCAL_SNS_SIGNING_CERT_URL: certUrl } = liveSettings();
  if (!keyFile || !certUrl) return undefined;
  let key = localKeys.get(keyFile);
  if (key === undefined) {
    key = readFileSync(keyFile, 'utf8');
    localKeys.set(keyFile, key);
  }
  const pem = key;
  return (message) => signSnsMessage(message, pem, certUrl);
}
