/**
 * A streaming RFC 4180 CSV parser: quoted fields may hold commas, doubled quotes ("") and line
 * breaks; CRLF and LF both end a record. Chunks may split a record (or a "" pair) anywhere,
 * which is why this is a small state machine rather than `line.split(',')`: the Online Retail
 * descriptions contain commas inside quotes. Text outside quotes is copied by slicing spans,
 * not char by char, so half a million rows parse in well under a second.
 */
import { DataFormatError } from './errors.js';

export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A `"` ended the previous chunk inside quotes: either a closing quote or the first of "". */
  private pendingQuote = false;
  /** A CR ended the previous record; swallow the LF of a CRLF pair. */
  private skipLf = false;
  /** The current field started with a quote (so a quote-only empty field "" is still a field). */
  private quoted = false;
  private records = 0;

  /** Feed the next piece of text; calls `onRecord` for each completed record. */
  push(chunk: string, onRecord: (fields: string[]) => void): void {
    const n = chunk.length;
    // An empty chunk must not resolve a pending quote: the next character decides it.
    if (n === 0) return;
    let i = 0;
    let spanStart = 0;
    if (this.pendingQuote) {
      this.pendingQuote = false;
      if (chunk.charCodeAt(0) === 34) {
        this.field += '"';
        i = 1;
        spanStart = 1;
      } else {
        this.inQuotes = false;
      }
    }
    for (; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inQuotes) {
        if (c !== 34) continue;
        this.field += chunk.slice(spanStart, i);
        if (i + 1 === n) {
          this.pendingQuote = true;
          spanStart = n;
          break;
        }
        if (chunk.charCodeAt(i + 1) === 34) {
          this.field += '"';
          i++;
        } else {
          this.inQuotes = false;
        }
        spanStart = i + 1;
        continue;
      }
      if (this.skipLf) {
        this.skipLf = false;
        if (c === 10) {
          spanStart = i + 1;
          continue;
        }
      }
      if (c === 44 /* , */) {
        this.fields.push(this.field + chunk.slice(spanStart, i));
        this.field = '';
        this.quoted = false;
        spanStart = i + 1;
      } else if (c === 10 /* \n */ || c === 13 /* \r */) {
        this.endRecord(chunk.slice(spanStart, i), onRecord);
        if (c === 13) this.skipLf = true;
        spanStart = i + 1;
      } else if (c === 34 /* " */ && i === spanStart && this.field === '' && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
        spanStart = i + 1;
      }
      // Any other character (including a stray quote inside an unquoted field) is literal.
    }
    if (spanStart < n) this.field += chunk.slice(spanStart);
  }

  /** Flush the last record (a file need not end with a newline). */
  end(onRecord: (fields: string[]) => void): void {
    if (this.inQuotes && !this.pendingQuote) {
      throw new DataFormatError(`unterminated quoted field in record ${this.records + 1}`);
    }
    this.inQuotes = false;
    this.pendingQuote = false;
    if (this.fields.length > 0 || this.field !== '' || this.quoted) this.endRecord('', onRecord);
  }

  private endRecord(tail: string, onRecord: (fields: string[]) => void): void {
    const last = this.field + tail;
    const record = this.fields;
    this.fields = [];
    this.field = '';
    const wasQuoted = this.quoted;
    this.quoted = false;
    // A blank line is not a record.
    if (record.length === 0 && last === '' && !wasQuoted) return;
    record.push(last);
    this.records++;
    onRecord(record);
  }
}

/** Parse a whole CSV text (tests, small files). */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  const p = new CsvParser();
  const push = (r: string[]): void => {
    out.push(r);
  };
  p.push(text, push);
  p.end(push);
  return out;
}
