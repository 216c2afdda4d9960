/**
 * UCI "Online Retail" loader (Chen, Sain & Guo 2012, CC BY 4.0): every line item of a UK online
 * gift retailer, 2010-12-01 .. 2011-12-09, grouped by invoice into shop `OrderEvent`s.
 *
 * Decisions, each because of a trap in the data:
 * - Invoice dates are UK local wall-clock times without a zone (GMT in winter, BST in summer).
 *   We read them as UTC: the models work at day resolution and a one-hour shift never moves a
 *   purchase across midnight in a way that matters for RFM; converting would need a tz database
 *   for no modelling gain. Both the UCI spelling `12/1/2010 8:26` and ISO `2010-12-01 08:26:00`
 *   (the shared copy) are accepted.
 * - An invoice's rows can differ by a minute in time; the order takes the earliest.
 * - Invoices starting with `C` are cancellations: status 'cancelled', quantities made positive and
 *   the total the positive amount cancelled. The order id is the cancellation's own invoice
 *   (`or-C536379`): the data carries no link to the original invoice, and matching by customer +
 *   stock code + quantity is ambiguous (partial cancellations, several candidate invoices, and
 *   cancellations of orders placed before 2010-12-01), so we do not guess a reference.
 * - Rows are skipped and counted by the first reason that applies, in this order:
 *   `missingCustomerId` (no one to attribute the order to), `nonStandardInvoice` (invoice numbers
 *   other than digits or C+digits: the `A…` bad-debt adjustments), `nonProductCode` (postage,
 *   carriage, manual, discount, fees, samples, vouchers… see NON_PRODUCT_CODES),
 *   `nonPositivePrice` (free items and price corrections), `nonPositiveQuantity` (a negative
 *   quantity on a non-cancellation invoice: stock write-offs), `nonNegativeQuantityCancellation`.
 * - Totals are Σ quantity × unitPrice rounded to 1e-4 GBP: some unit prices have 3 decimals, so
 *   rounding to pence would change them; the rounding only removes binary floating-point noise.
 * - An invoice whose rows were all skipped produces no order.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { OrderEvent } from '../../kernel/events/order-event.js';
import type { OrderLine } from '../../kernel/events/stored-event.js';
import { CsvParser } from './csv.js';
import { DataFormatError } from './errors.js';
import { ONLINE_RETAIL, sharedDataFile } from './paths.js';

export const ONLINE_RETAIL_HEADER = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
] as const;

/**
 * Stock codes that are not merchandise, found by listing every code that does not start with a
 * digit: POST/DOT/C2 postage and carriage, M/m manual adjustments, D discount, S samples,
 * B bad-debt adjustment, bank and Amazon fees, CRUK charity commission, PADS (a 0.001 GBP
 * filler), and gift vouchers (stored value, spent later as other orders). DCGS… codes are real
 * products listed on the dotcom gift shop, so they stay.
 */
export const NON_PRODUCT_CODES: ReadonlySet<string> = new Set([
  'POST',
  'DOT',
  'C2',
  'M',
  'D',
  'S',
  'B',
  'BANK CHARGES',
  'AMAZONFEE',
  'CRUK',
  'PADS',
]);
const GIFT_VOUCHER = /^gift_/i;

export const SKIP_REASONS = [
  'missingCustomerId',
  'nonStandardInvoice',
  'nonProductCode',
  'nonPositivePrice',
  'nonPositiveQuantity',
  'nonNegativeQuantityCancellation',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface OnlineRetailResult {
  /** One order per invoice with at least one kept row, in order of first appearance. */
  readonly orders: OrderEvent[];
  /** Skipped data rows by reason. */
  readonly skipped: Record<SkipReason, number>;
  /** Data rows read (header excluded). */
  readonly rows: number;
  /** Distinct invoice numbers in the raw file (all rows, before skipping). */
  readonly rawInvoices: number;
  /** Distinct CustomerIDs in the raw file. */
  readonly rawCustomers: number;
}

interface InvoiceAccumulator {
  readonly invoiceNo: string;
  readonly customerId: string;
  readonly country: string;
  readonly cancelled: boolean;
  timestamp: string;
  total: number;
  readonly items: OrderLine[];
}

/** Stream-parse the gzipped CSV from the shared data folder (or `file`). */
export async function loadOnlineRetail(
  file: string = sharedDataFile(ONLINE_RETAIL),
): Promise<OnlineRetailResult> {
  const builder = new OnlineRetailBuilder();
  const parser = new CsvParser();
  const onRecord = (r: string[]): void => builder.add(r);
  const stream = createReadStream(file).pipe(createGunzip());
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) parser.push(chunk, onRecord);
  parser.end(onRecord);
  return builder.result();
}

/** The same from already-split records (header first): for tests and other sources. */
export function ordersFromOnlineRetailRecords(records: Iterable<readonly string[]>): OnlineRetailResult {
  const builder = new OnlineRetailBuilder();
  for (const r of records) builder.add(r);
  return builder.result();
}

class OnlineRetailBuilder {
  private headerSeen = false;
  private rows = 0;
  private readonly invoices = new Map<string, InvoiceAccumulator>();
  private readonly rawInvoices = new Set<string>();
  private readonly rawCustomers = new Set<string>();
  private readonly skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;

  add(record: readonly string[]): void {
    if (!this.headerSeen) {
      this.headerSeen = true;
      if (record.length !== 8 || record.some((h, i) => h.trim() !== ONLINE_RETAIL_HEADER[i])) {
        throw new DataFormatError(`unexpected header: ${record.join(',')}`, 1);
      }
      return;
    }
    this.rows++;
    const line = this.rows + 1;
    if (record.length !== 8) throw new DataFormatError(`expected 8 fields, got ${record.length}`, line);
    const [invoiceNo, stockCode, description, quantityText, dateText, priceText, customerText, country] =
      record as [string, string, string, string, string, string, string, string];
    this.rawInvoices.add(invoiceNo);
    const customer = normaliseCustomerId(customerText);
    if (customer !== '') this.rawCustomers.add(customer);

    const quantity = Number(quantityText);
    const unitPrice = Number(priceText);
    if (!Number.isInteger(quantity)) throw new DataFormatError(`bad Quantity ${quantityText}`, line);
    if (!Number.isFinite(unitPrice) || priceText.trim() === '') throw new DataFormatError(`bad UnitPrice ${priceText}`, line);
    const timestamp = parseInvoiceDate(dateText, line);
    const cancelled = invoiceNo.startsWith('C');

    const reason = skipReason(customer, invoiceNo, stockCode, unitPrice, quantity, cancelled);
    if (reason !== undefined) {
      this.skipped[reason]++;
      return;
    }

    let acc = this.invoices.get(invoiceNo);
    if (acc === undefined) {
      acc = { invoiceNo, customerId: customer, country, cancelled, timestamp, total: 0, items: [] };
      this.invoices.set(invoiceNo, acc);
    } else if (acc.customerId !== customer) {
      // Never seen in the data; an invoice split across customers would corrupt RFM, so refuse.
      throw new DataFormatError(`invoice ${invoiceNo} has customers ${acc.customerId} and ${customer}`, line);
    }
    if (timestamp < acc.timestamp) acc.timestamp = timestamp;
    const q = Math.abs(quantity);
    acc.total += q * unitPrice;
    const item: OrderLine = { sku: stockCode, quantity: q, unitPrice };
    if (description !== '') item.name = description;
    acc.items.push(item);
  }

  result(): OnlineRetailResult {
    const orders: OrderEvent[] = [];
    for (const acc of this.invoices.values()) {
      orders.push({
        type: 'order',
        orderId: `or-${acc.invoiceNo}`,
        status: acc.cancelled ? 'cancelled' : 'placed',
        customerId: `or-${acc.customerId}`,
        items: acc.items,
        currency: 'GBP',
        total: Math.round(acc.total * 1e4) / 1e4,
        discount: 0,
        timestamp: acc.timestamp,
        properties: { country: acc.country },
      });
    }
    return {
      orders,
      skipped: { ...this.skipped },
      rows: this.rows,
      rawInvoices: this.rawInvoices.size,
      rawCustomers: this.rawCustomers.size,
    };
  }
}

function skipReason(
  customer: string,
  invoiceNo: string,
  stockCode: string,
  unitPrice: number,
  quantity: number,
  cancelled: boolean,
): SkipReason | undefined {
  if (customer === '') return 'missingCustomerId';
  if (!/^C?\d+$/.test(invoiceNo)) return 'nonStandardInvoice';
  if (NON_PRODUCT_CODES.has(stockCode.trim().toUpperCase()) || GIFT_VOUCHER.test(stockCode)) return 'nonProductCode';
  if (unitPrice <= 0) return 'nonPositivePrice';
  if (!cancelled && quantity <= 0) return 'nonPositiveQuantity';
  if (cancelled && quantity >= 0) return 'nonNegativeQuantityCancellation';
  return undefined;
}

/** `17850.0` -> `17850` (the CSV went through a float column); empty stays empty. */
function normaliseCustomerId(text: string): string {
  const t = text.trim();
  return t.endsWith('.0') ? t.slice(0, -2) : t;
}

/** `12/1/2010 8:26` (M/D/YYYY H:MM) or `2010-12-01 08:26:00`, read as UTC (see the module note). */
export function parseInvoiceDate(text: string, line?: number): string {
  const t = text.trim();
  let y: string, mo: string, d: string, h: string, mi: string, s: string;
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (m !== null) {
    [y, mo, d, h, mi, s] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6] ?? '00'];
  } else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
    if (m === null) throw new DataFormatError(`bad InvoiceDate ${text}`, line);
    [mo, d, y, h, mi, s] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6] ?? '00'];
  }
  const iso = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}T${h.padStart(2, '0')}:${mi}:${s}Z`;
  const ms = Date.parse(iso);
  // Date.parse rolls 2011-02-30 over to March; a round trip catches impossible dates.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== iso.slice(0, 19)) {
    throw new DataFormatError(`bad InvoiceDate ${text}`, line);
  }
  return iso;
}
