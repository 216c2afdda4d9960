import { ValidationError } from '../../../kernel/errors.js';

/**
 * Shopify's ids are 64-bit integers sent as bare JSON numbers (820982911946154508), and
 * JSON.parse rounds those past 2^53 (to 820982911946154500): two orders would share an id. This
 * parse quotes every integer literal that a double cannot hold exactly, before JSON.parse sees it,
 * so the schemas receive its exact digits as a string. Node 20 has no JSON.parse source access.
 */
export function parseShopifyJson(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new ValidationError('body is empty; expected a JSON object', '(body)');
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(quoteUnsafeIntegers(text));
  } catch (error) {
    throw new ValidationError(`malformed JSON: ${(error as Error).message}`, '(body)', [], { cause: error });
  }
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export function quoteUnsafeIntegers(text: string): string {
  const parts: string[] = [];
  let copiedTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Skip the string: digits inside it are text, not numbers.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' || isDigit(c)) {
      let end = c === '-' ? i + 1 : i;
      while (isDigit(text[end])) end++;
      const fraction = text[end] === '.' || text[end] === 'e' || text[end] === 'E';
      const literal = text.slice(i, end);
      if (!fraction && !Number.isSafeInteger(Number(literal)) && literal.replace('-', '').length > 15) {
        parts.push(text.slice(copiedTo, i), `"${literal}"`);
        copiedTo = end;
      }
      while (end < text.length && /[0-9.eE+-]/.test(text[end]!)) end++;
      i = end;
    } else {
      i++;
    }
  }
  parts.push(text.slice(copiedTo));
  return parts.join('');
}
