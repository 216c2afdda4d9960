import { TABLE } from '../../kernel/settings.js';

/** DynamoDB's billing arithmetic: item sizes, write units, the winback table's indexes. */

export interface IndexDefinition {
  readonly name: string;
  /** Key attributes an item must carry to appear in the index. */
  readonly keys: readonly string[];
}

/** The winback table's secondary indexes (kernel/settings.ts), both with the ALL projection. */
export const WINBACK_INDEXES: readonly IndexDefinition[] = [
  { name: TABLE.byTimeIndex, keys: [TABLE.partitionKey, TABLE.byTimeSortKey] },
  { name: TABLE.gsi1, keys: [TABLE.gsi1PartitionKey, TABLE.gsi1SortKey] },
];

/** DynamoDB's per-item storage overhead, in the table and again in each index entry. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const KB = 1024;

export type Item = Record<string, unknown>;

/**
 * DynamoDB's size of an item, from its attribute names and values (native JavaScript values as
 * the document client takes them, or marshalled AttributeValues): strings and binaries by
 * their bytes, numbers 1 byte per two significant digits + 1, booleans and null 1, lists and
 * maps 3 bytes + 1 per element + their contents, sets the sum of their elements.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

const AV_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);

function numberSize(n: number | bigint | string): number {
  const digits = String(n).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length === 0 ? 1 : Math.ceil(digits.length / 2) + 1;
}

function valueSize(value: unknown): number {
  if (value === null) return 1;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value);
    case 'number':
    case 'bigint':
      return numberSize(value);
    case 'boolean':
      return 1;
    case 'object':
      break;
    default:
      return 0;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let s = 0;
    for (const v of value) s += valueSize(v);
    return s;
  }
  if (Array.isArray(value)) return 3 + value.reduce((s: number, v) => s + 1 + valueSize(v), 0);
  const entries = Object.entries(value as Record<string, unknown>);
  // A marshalled AttributeValue ({ S: 'x' }, { N: '1' }, { M: {...} } ...).
  if (entries.length === 1 && AV_TYPES.has(entries[0]![0])) {
    const [type, v] = entries[0]!;
    switch (type) {
      case 'S':
        return Buffer.byteLength(String(v));
      case 'N':
        return numberSize(String(v));
      case 'B':
        return v instanceof Uint8Array ? v.byteLength : Buffer.from(String(v), 'base64').byteLength;
      case 'BOOL':
      case 'NULL':
        return 1;
      case 'L':
        return 3 + (v as unknown[]).reduce((s: number, e) => s + 1 + valueSize(e), 0);
      case 'M':
        return 3 + Object.entries(v as Item).reduce((s, [k, e]) => s + 1 + Buffer.byteLength(k) + valueSize(e), 0);
      case 'SS':
        return (v as string[]).reduce((s, e) => s + Buffer.byteLength(e), 0);
      case 'NS':
        return (v as string[]).reduce((s, e) => s + numberSize(e), 0);
      case 'BS':
        return (v as Uint8Array[]).reduce((s, e) => s + e.byteLength, 0);
    }
  }
  return 3 + entries.reduce((s, [k, v]) => (v === undefined ? s : s + 1 + Buffer.byteLength(k) + valueSize(v)), 0);
}

/** Write units of one item: 1 per KB, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));
