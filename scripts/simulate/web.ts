import type { SegmentMessage } from '../../functions/events/segment-event.js';
import { CATALOGUE, PREMIUM_PRICE, SHOP_URL, type Product } from './catalogue.js';
import type { Timeline } from './timeline.js';
import type { ValueSegment } from './types.js';

/**
 * Website activity as analytics.js would report it (Segment spec): page views and the
 * e-commerce track events 'Product Viewed' and 'Product Added', grouped in sessions (a burst of
 * events a minute or so apart; the features split sessions at a 30-minute gap).
 */
export type WebIdentity = { readonly userId: string } | { readonly anonymousId: string };

/** Seconds between two events of a session: a quick click-through with the odd long read. */
function stepMs(tl: Timeline): number {
  return Math.round((5 + tl.rng.exponential(45)) * 1000);
}

export function pickProduct(tl: Timeline, segment: ValueSegment): Product {
  // High-value customers lean to the premium end of the catalogue; the others to the cheap end.
  if (segment === 'medium') return tl.rng.pick(CATALOGUE);
  const premium = segment === 'high';
  return tl.rng.weighted(CATALOGUE.map((p) => [p, (p.price >= PREMIUM_PRICE) === premium ? 3 : 1] as const));
}

const productPath = (p: Product): string => `/products/${p.sku.toLowerCase()}`;

export function pageView(tl: Timeline, ms: number, who: WebIdentity, name: string, path: string, category?: string): void {
  tl.push(ms, (at) => ({
    kind: 'segment',
    at,
    message: {
      type: 'page',
      messageId: tl.nextMessageId(),
      timestamp: at,
      ...who,
      name,
      ...(category ? { category } : {}),
      properties: { path, url: `${SHOP_URL}${path}` },
    } satisfies SegmentMessage,
  }));
}

export function trackProduct(tl: Timeline, ms: number, who: WebIdentity, event: 'Product Viewed' | 'Product Added', p: Product): void {
  tl.push(ms, (at) => ({
    kind: 'segment',
    at,
    message: {
      type: 'track',
      messageId: tl.nextMessageId(),
      timestamp: at,
      ...who,
      event,
      properties: {
        product_id: p.sku,
        sku: p.sku,
        name: p.name,
        category: p.category,
        price: p.price,
        currency: 'GBP',
        ...(event === 'Product Added' ? { quantity: 1 } : {}),
      },
    } satisfies SegmentMessage,
  }));
}

/** A visit without a purchase: a landing page, a few product views, sometimes an abandoned cart. */
export function browsingSession(tl: Timeline, startMs: number, who: WebIdentity, segment: ValueSegment): void {
  let ms = startMs;
  const landing = tl.rng.weighted([
    ['home', 6],
    ['category', 3],
    ['search', 1],
  ] as const);
  if (landing === 'category') {
    const category = tl.rng.pick(CATALOGUE).category;
    pageView(tl, ms, who, 'Category', `/c/${category.toLowerCase()}`, category);
  } else if (landing === 'search') {
    pageView(tl, ms, who, 'Search', '/search');
  } else {
    pageView(tl, ms, who, 'Home', '/');
  }
  const views = tl.rng.poisson(1.3);
  for (let i = 0; i < views; i++) {
    const p = pickProduct(tl, segment);
    ms += stepMs(tl);
    trackProduct(tl, ms, who, 'Product Viewed', p);
    if (tl.rng.bernoulli(0.15)) {
      ms += stepMs(tl);
      trackProduct(tl, ms, who, 'Product Added', p);
    }
  }
}

/**
 * The visit an order comes from: the products bought are viewed and added, then the checkout
 * page, ending just before `orderMs`. `before` is who the visitor is until `switchAtMs` (an
 * anonymous visitor signing up at checkout), `after` from then on.
 */
export function purchaseSession(
  tl: Timeline,
  orderMs: number,
  products: readonly Product[],
  before: WebIdentity,
  after: WebIdentity = before,
  switchAtMs = -Infinity,
): void {
  const steps = products.length * 2 + 2;
  const times: number[] = [];
  let ms = orderMs;
  for (let i = 0; i < steps; i++) {
    ms -= stepMs(tl);
    times.unshift(ms);
  }
  const who = (t: number): WebIdentity => (t < switchAtMs ? before : after);
  let i = 0;
  const next = (): number => times[i++] ?? orderMs;
  let t = next();
  pageView(tl, t, who(t), 'Home', '/');
  for (const p of products) {
    t = next();
    trackProduct(tl, t, who(t), 'Product Viewed', p);
    t = next();
    trackProduct(tl, t, who(t), 'Product Added', p);
  }
  t = next();
  pageView(tl, t, who(t), 'Checkout', '/checkout');
}
