import type { StoredEvent } from '../../kernel/events/stored-event.js';

/**
 * Product recommendations from order history, simple and deterministic (no model): the customer's
 * most-bought categories, then the most popular products of those categories they have not bought
 * (from a catalogue of popular products, e.g. built with `productCatalog` over recent orders), then,
 * if that is not enough, their own most-bought products ("buy again").
 */
export interface Product {
  readonly sku: string;
  readonly name?: string;
  readonly category?: string;
  /** Units sold (catalogue) or bought (customer); ranks products. */
  readonly quantity: number;
}

export interface Recommendation {
  readonly sku: string;
  readonly name?: string;
  readonly category?: string;
  readonly reason: 'popular-in-category' | 'buy-again';
}

/** Placed orders' lines minus refunded / cancelled orders (matched by order id), aggregated by SKU. */
export function productCatalog(events: readonly StoredEvent[]): Product[] {
  const cancelled = new Set(
    events.filter((e) => e.kind === 'order' && e.order && e.order.status !== 'placed').map((e) => e.order!.orderId),
  );
  const bySku = new Map<string, { sku: string; name?: string; category?: string; quantity: number }>();
  for (const e of events) {
    if (e.kind !== 'order' || !e.order || e.order.status !== 'placed' || cancelled.has(e.order.orderId)) continue;
    for (const line of e.order.items) {
      const p = bySku.get(line.sku) ?? { sku: line.sku, quantity: 0 };
      p.quantity += line.quantity;
      if (line.name && !p.name) p.name = line.name;
      if (line.category && !p.category) p.category = line.category;
      bySku.set(line.sku, p);
    }
  }
  return [...bySku.values()].sort(byQuantityThenSku);
}

function byQuantityThenSku(a: Product, b: Product): number {
  return b.quantity - a.quantity || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
}

export function recommendedProducts(events: readonly StoredEvent[], n: number, catalog: readonly Product[] = []): Recommendation[] {
  if (n <= 0) return [];
  const bought = productCatalog(events);
  const boughtSkus = new Set(bought.map((p) => p.sku));
  const categoryUnits = new Map<string, number>();
  for (const p of bought) if (p.category) categoryUnits.set(p.category, (categoryUnits.get(p.category) ?? 0) + p.quantity);
  const categories = [...categoryUnits.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
  const rank = new Map(categories.map((c, i) => [c, i]));

  const picks: Recommendation[] = [];
  const taken = new Set<string>();
  const candidates = catalog
    .filter((p) => p.category !== undefined && rank.has(p.category) && !boughtSkus.has(p.sku))
    .sort((a, b) => rank.get(a.category!)! - rank.get(b.category!)! || byQuantityThenSku(a, b));
  for (const p of candidates) {
    if (picks.length >= n) break;
    if (taken.has(p.sku)) continue;
    taken.add(p.sku);
    picks.push({ sku: p.sku, ...(p.name ? { name: p.name } : {}), ...(p.category ? { category: p.category } : {}), reason: 'popular-in-category' });
  }
  for (const p of bought) {
    if (picks.length >= n) break;
    if (taken.has(p.sku)) continue;
    taken.add(p.sku);
    picks.push({ sku: p.sku, ...(p.name ? { name: p.name } : {}), ...(p.category ? { category: p.category } : {}), reason: 'buy-again' });
  }
  return picks;
}
