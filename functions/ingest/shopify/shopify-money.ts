/**
 * Shopify sends money as decimal strings in the shop's currency ("199.99"). Sums are done on
 * scaled integers (BigInt), never on doubles, so "0.10" + "0.20" is exactly "0.30"; the exact
 * string is stored next to the number that the models read.
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function scaleOf(value: string): number {
  return DECIMAL.exec(value)?.[3]?.length ?? 0;
}

function toScaled(value: string, scale: number): bigint {
  const match = DECIMAL.exec(value);
  if (!match) throw new RangeError(`not a decimal string: ${JSON.stringify(value)}`);
  const [, sign, whole, fraction = ''] = match;
  const digits = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
  return sign === '-' ? -digits : digits;
}

function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The exact sum, with as many decimals as the most precise term ("0.00" for no terms). */
export function sumDecimals(values: readonly string[]): string {
  if (values.length === 0) return '0.00';
  const scale = Math.max(...values.map(scaleOf));
  return fromScaled(values.reduce((total, v) => total + toScaled(v, scale), 0n), scale);
}

/** The amount without its sign (Shopify writes some refunded amounts as negative adjustments). */
export const absDecimal = (value: string): string => (value.startsWith('-') ? value.slice(1) : value);

/** The number the models read: the double nearest the decimal (no arithmetic on the way). */
export const decimalToNumber = (value: string): number => Number(value);
