import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The local stack's SNS signing key. In AWS, SNS signs every notification and the ingest API
 * verifies it against a certificate on an SNS host; locally the stack stands in for SNS, so it
 * signs its SES event notifications with a key of its own data dir, and the verifier trusts that
 * one public key (by its exact file: URL) besides SNS's hosts. Knowing the write key, which sits
 * in web pages, is therefore not enough to post a complaint: it takes the data dir's private key.
 */
export interface LocalSnsSigning {
  /** file: URL of the public key (what SigningCertURL names). */
  readonly certUrl: string;
  readonly keyFile: string;
}

export const SNS_SIGNING_KEY_FILE = 'sns-signing-key.pem';
export const SNS_SIGNING_CERT_FILE = 'sns-signing-cert.pem';

export async function ensureLocalSnsSigning(dataDir: string): Promise<LocalSnsSigning> {
  const keyFile = path.join(dataDir, SNS_SIGNING_KEY_FILE);
  const certFile = path.join(dataDir, SNS_SIGNING_CERT_FILE);
  const exists = await readFile(certFile, 'utf8').then(
    () => readFile(keyFile, 'utf8').then(() => true),
    () => false,
  ).catch(() => false);
  if (!exists) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(certFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 });
  }
  return { certUrl: pathToFileURL(certFile).href, keyFile };
}
