import type { OrderEvent } from '../../kernel/events/order-event.js';
import type { OrderLine } from '../../kernel/events/stored-event.js';
import { COUPONS, type Product } from './catalogue.js';
import { pickProduct } from './web.js';
import { DAY_MS, MINUTE_MS, type Timeline } from './timeline.js';
import type { LatentCustomer } from './model.js';

/**
 * Orders as the shop backend sends them to /v1/orders: line items from the catalogue, a coupon
 * now and then (welcome offers on first orders, seasonal codes for the price-sensitive, thank-you
 * codes for the best customers), and the after-life of some orders: cancelled within hours, or
 * refunded weeks later.
 */
export const CANCEL_RATE = 0.03;
export const REFUND_RATE = 0.04;

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** The basket: enough lines to approach the customer's usual spend, distinct SKUs. */
export function drawBasket(tl: Timeline, c: LatentCustomer): Array<{ product: Product; quantity: number }> {
  const lines = Math.min(8, 1 + tl.rng.poisson(Math.max(0, c.meanOrderValue / 30 - 0.7)));
  const basket = new Map<string, { product: Product; quantity: number }>();
  for (let i = 0; i < lines; i++) {
    const product = pickProduct(tl, c.segment);
    const quantity = tl.rng.bernoulli(0.2) ? 2 : 1;
    const line = basket.get(product.sku);
    if (line) line.quantity += quantity;
    else basket.set(product.sku, { product, quantity });
  }
  return [...basket.values()];
}

function coupon(tl: Timeline, c: LatentCustomer, first: boolean): { code: string; rate: number } | undefined {
  if (first) return tl.rng.bernoulli(0.3) ? COUPONS.welcome : undefined;
  if (c.segment === 'high') return tl.rng.bernoulli(0.1) ? COUPONS.loyalty : undefined;
  return tl.rng.bernoulli(c.segment === 'low' ? 0.12 : 0.06) ? COUPONS.seasonal : undefined;
}

/**
 * Emits the order placed at `orderMs` and, for some, its cancellation or refund.
 * Returns the order id.
 */
export function placeOrder(
  tl: Timeline,
  c: LatentCustomer,
  email: string,
  n: number,
  orderMs: number,
  basket: ReadonlyArray<{ product: Product; quantity: number }>,
): string {
  const orderId = `${tl.customerId}-o${n}`;
  const items: OrderLine[] = basket.map(({ product, quantity }) => ({
    sku: product.sku,
    name: product.name,
    category: product.category,
    quantity,
    unitPrice: product.price,
  }));
  const subtotal = round2(items.reduce((s, i) => s + i.quantity * i.unitPrice, 0));
  const offer = coupon(tl, c, n === 1);
  const discount = offer ? round2(subtotal * offer.rate) : 0;
  const base = {
    type: 'order' as const,
    orderId,
    customerId: tl.customerId,
    email,
    items,
    currency: 'GBP',
    total: round2(subtotal - discount),
    discount,
    ...(offer ? { couponCode: offer.code } : {}),
  };
  const emit = (status: OrderEvent['status'], ms: number): void => {
    tl.push(ms, (at) => ({ kind: 'order', at, order: { ...base, status, timestamp: at } }));
  };
  emit('placed', orderMs);
  const fate = tl.rng.next();
  if (fate < CANCEL_RATE) emit('cancelled', orderMs + Math.round(tl.rng.uniform(20, 12 * 60) * MINUTE_MS));
  else if (fate < CANCEL_RATE + REFUND_RATE) emit('refunded', orderMs + Math.round(tl.rng.uniform(3, 25) * DAY_MS));
  return orderId;
}
