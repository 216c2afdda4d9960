import { createHash } from 'node:crypto';

/**
 * fauxqs 1.9.2 checks message bodies against the characters SQS allows but leaves out
 * #x10000-#x10FFFF (its regex has no `u` flag and no astral range), so any emoji (`a😀`,
 * `Zoë 👋`) is refused with InvalidMessageContents where real SQS accepts it. The local queue
 * therefore carries such characters escaped into characters fauxqs accepts, and the escaping is
 * undone on the way out (ReceiveMessage), with the MD5 digests the SDK checks recomputed for the
 * real body. Bodies with no astral character and no escape character pass unchanged.
 *
 * Escape: U+E000 (private use) then two characters from U+0400-U+07FF carrying the 20 bits of
 * (code point - 0x10000); a literal U+E000 is doubled. Each astral character (4 bytes in UTF-8)
 * becomes 7 bytes, so a 240 KiB winback message stays far below the queue's 1 MiB limit even
 * made only of emoji. Lone surrogates are left alone: real SQS refuses them too.
 */

const ESCAPE = '\uE000';
const DIGIT_BASE = 0x0400;
const NEEDS_ENCODING = /[\u{10000}-\u{10FFFF}\uE000]/u;
const ENCODABLE = /[\u{10000}-\u{10FFFF}\uE000]/gu;
const ENCODED = /\uE000(?:\uE000|([\u0400-\u07FF])([\u0400-\u07FF]))/g;

export function encodeSqsBody(body: string): string {
  if (!NEEDS_ENCODING.test(body)) return body;
  return body.replace(ENCODABLE, (c) => {
    if (c === ESCAPE) return ESCAPE + ESCAPE;
    const offset = c.codePointAt(0)! - 0x10000;
    return ESCAPE + String.fromCharCode(DIGIT_BASE + (offset >> 10), DIGIT_BASE + (offset & 0x3ff));
  });
}

export function decodeSqsBody(body: string): string {
  if (!body.includes(ESCAPE)) return body;
  return body.replace(ENCODED, (_match, high?: string, low?: string) => {
    if (high === undefined || low === undefined) return ESCAPE;
    const offset = ((high.charCodeAt(0) - DIGIT_BASE) << 10) | (low.charCodeAt(0) - DIGIT_BASE);
    return String.fromCodePoint(0x10000 + offset);
  });
}

/** The MD5OfMessageBody SQS reports and the SDK verifies: hex MD5 of the body's UTF-8 bytes. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}
