/**
 * CDNOW sample loader: the classic customer-base-analysis data set (1/10 systematic sample of the
 * customers who first bought in Q1 1997; purchases 1997-01-01 .. 1998-06-30).
 * File format: no header, whitespace separated `master_id sample_id date(YYYYMMDD) cds dollars`.
 */
import { readFileSync } from 'node:fs';
import type { OrderEvent } from '../../kernel/events/order-event.js';
import { DataFormatError } from './errors.js';
import { CDNOW_SAMPLE, sharedDataFile } from './paths.js';
import { rfmSummary, type Purchase, type RfmOptions, type RfmSummary } from './rfm.js';

export { rfmSummary, type Purchase, type RfmOptions, type RfmSummary } from './rfm.js';

export interface CdnowTransaction {
  readonly masterId: string;
  /** 1..2357 */
  readonly sampleId: number;
  /** `cdnow-<sampleId>` */
  readonly customerId: string;
  /** `YYYY-MM-DD` */
  readonly date: string;
  readonly cds: number;
  readonly value: number;
}

/** The literature's split of the CDNOW sample (Fader, Hardie & Lee 2005): 39 + 39 weeks. */
export const CDNOW_CALIBRATION_END = '1997-09-30';
export const CDNOW_HOLDOUT_END = '1998-06-30';

/** Parse the file's text; throws `DataFormatError` naming the line on anything unexpected. */
export function parseCdnow(text: string): CdnowTransaction[] {
  const out: CdnowTransaction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    if (f.length !== 5) throw new DataFormatError(`expected 5 fields, got ${f.length}`, i + 1);
    const [masterId, sample, ymd, cds, dollars] = f as [string, string, string, string, string];
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(ymd);
    const sampleId = Number(sample);
    const cdCount = Number(cds);
    const value = Number(dollars);
    if (m === null) throw new DataFormatError(`bad date ${ymd}`, i + 1);
    if (!Number.isInteger(sampleId) || sampleId < 1) throw new DataFormatError(`bad sample_id ${sample}`, i + 1);
    if (!Number.isInteger(cdCount) || cdCount < 0) throw new DataFormatError(`bad number_of_cds ${cds}`, i + 1);
    if (!Number.isFinite(value) || value < 0) throw new DataFormatError(`bad dollar_value ${dollars}`, i + 1);
    out.push({
      masterId,
      sampleId,
      customerId: `cdnow-${sampleId}`,
      date: `${m[1]}-${m[2]}-${m[3]}`,
      cds: cdCount,
      value,
    });
  }
  return out;
}

/** Read and parse `cdnow/CDNOW_sample.txt` from the shared data folder (or `file`). */
export function loadCdnow(file: string = sharedDataFile(CDNOW_SAMPLE)): CdnowTransaction[] {
  return parseCdnow(readFileSync(file, 'utf8'));
}

/** Transactions as the generic purchases `rfmSummary` takes. */
export function cdnowPurchases(transactions: readonly CdnowTransaction[]): Purchase[] {
  return transactions.map((t) => ({ customerId: t.customerId, timestamp: `${t.date}T00:00:00Z`, value: t.value }));
}

/** RFM summaries with the literature's defaults (calibration to 1997-09-30, weeks, holdout to 1998-06-30). */
export function cdnowRfm(
  transactions: readonly CdnowTransaction[],
  options: Partial<RfmOptions> = {},
): RfmSummary[] {
  return rfmSummary(cdnowPurchases(transactions), {
    calibrationEnd: options.calibrationEnd ?? CDNOW_CALIBRATION_END,
    unit: options.unit ?? 'weeks',
    holdoutEnd: options.holdoutEnd ?? CDNOW_HOLDOUT_END,
  });
}

/**
 * Transactions as shop `OrderEvent`s. The file has no order id, and a customer may have several
 * rows on one day, so the id is `cdnow-<master_id>-<date>-<n>` with n the 1-based occurrence of
 * that (customer, date) in file order: deterministic, so a re-import converges to the same records.
 * An order line needs quantity >= 1; the sample has no zero-CD rows, but should a file have one
 * the order keeps its total and carries no line rather than an invalid one.
 * unitPrice = dollar_value / number_of_cds (the file only has the total).
 */
export function cdnowOrderEvents(transactions: readonly CdnowTransaction[]): OrderEvent[] {
  const seen = new Map<string, number>();
  return transactions.map((t) => {
    const key = `${t.masterId}-${t.date.replaceAll('-', '')}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const total = t.value;
    const order: OrderEvent = {
      type: 'order',
      orderId: `cdnow-${key}-${n}`,
      status: 'placed',
      customerId: t.customerId,
      currency: 'USD',
      items: t.cds > 0 ? [{ sku: 'cd', quantity: t.cds, unitPrice: round(total / t.cds, 6) }] : [],
      total,
      discount: 0,
      timestamp: `${t.date}T00:00:00Z`,
    };
    return order;
  });
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
