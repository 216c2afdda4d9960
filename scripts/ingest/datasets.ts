import type { OrderEvent } from '../../kernel/events/order-event.js';
import { cdnowOrderEvents, loadCdnow } from '../../models/data/cdnow.js';
import { loadOnlineRetail } from '../../models/data/online-retail.js';
import { CDNOW_SAMPLE, ONLINE_RETAIL, sharedDataFile } from '../../models/data/paths.js';

/**
 * The real data sets `winback import` knows, read with the loaders in models/data/ (the same
 * code the models train on, so what is imported is exactly what they would see in process).
 */
export const DATASETS = ['cdnow', 'online-retail'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface LoadedDataset {
  readonly dataset: DatasetName;
  readonly file: string;
  /** Data rows read (header excluded). */
  readonly rows: number;
  readonly orders: OrderEvent[];
  /** Rows the loader skipped, by reason (CDNOW has none: a malformed line stops the load). */
  readonly skipped: Record<string, number>;
}

export function defaultDatasetFile(dataset: DatasetName): string {
  return sharedDataFile(dataset === 'cdnow' ? CDNOW_SAMPLE : ONLINE_RETAIL);
}

export async function loadDataset(dataset: DatasetName, file: string = defaultDatasetFile(dataset)): Promise<LoadedDataset> {
  if (dataset === 'cdnow') {
    const transactions = loadCdnow(file);
    return { dataset, file, rows: transactions.length, orders: cdnowOrderEvents(transactions), skipped: {} };
  }
  const result = await loadOnlineRetail(file);
  return { dataset, file, rows: result.rows, orders: result.orders, skipped: { ...result.skipped } };
}
