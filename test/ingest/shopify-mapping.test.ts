import { describe, expect, it } from 'vitest';
import { AuthenticationError, ValidationError } from '../../kernel/errors.js';
import { StoredEvent } from '../../kernel/events/stored-event.js';
import { parseShopifyJson, quoteUnsafeIntegers } from '../../functions/ingest/shopify/shopify-json.js';
import { sumDecimals } from '../../functions/ingest/shopify/shopify-money.js';
import { shopifyHmac, verifyShopifyHmac } from '../../functions/ingest/shopify/shopify-signature.js';
import { mapShopifyWebhook } from '../../functions/ingest/shopify/shopify-mapping.js';
import { preferredCustomer } from '../../functions/ingest/shopify/shopify-identity.js';
import type { ShopifyDelivery } from '../../functions/ingest/shopify/shopify-ids.js';
import { shopifyBody, shopifyFixture } from '../helpers/shopify-webhooks.js';

const SHOP = 'winback-test.myshopify.com';
const delivery = (topic: string, webhookId = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043'): ShopifyDelivery => ({
  topic,
  shop: SHOP,
  webhookId,
  receivedAt: '2026-05-01T12:00:00.000Z',
});
const map = (topic: string, body: unknown, webhookId?: string): StoredEvent[] => {
  const events = mapShopifyWebhook(delivery(topic, webhookId), body);
  if (!events) throw new Error(`${topic} is not handled`);
  for (const e of events) expect(StoredEvent.parse(e)).toEqual(e);
  return events;
};

describe('Shopify JSON', () => {
  it('keeps 64-bit ids exact (JSON.parse rounds them) and leaves strings and decimals alone', () => {
    // Prepare
    const text = '{"id":820982911946154508,"note":"id 820982911946154508 \\"q\\" 12345678901234567890","price":199.99,"big":1e21,"n":-9007199254740993,"small":42}';
    // Act
    const parsed = parseShopifyJson(Buffer.from(text)) as Record<string, unknown>;
    // Assess
    expect(JSON.parse(text).id).toBe(820982911946154500);
    expect(parsed).toEqual({
      id: '820982911946154508',
      note: 'id 820982911946154508 "q" 12345678901234567890',
      price: 199.99,
      big: 1e21,
      n: '-9007199254740993',
      small: 42,
    });
    expect(quoteUnsafeIntegers('[9007199254740991]')).toBe('[9007199254740991]');
  });

  it('answers malformed or empty bodies with a ValidationError on (body)', () => {
    expect(() => parseShopifyJson(Buffer.from('{"id":'))).toThrow(ValidationError);
    expect(() => parseShopifyJson(Buffer.alloc(0))).toThrow(/body is empty/);
  });
});

describe('Shopify money', () => {
  it('adds decimal strings exactly, keeping the finest scale', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimals(['0.10', '0.20'])).toBe('0.30');
    expect(sumDecimals(['199.99', '0.015', '-0.005'])).toBe('200.000');
    expect(sumDecimals(['-5.00', '1.25'])).toBe('-3.75');
    expect(sumDecimals([])).toBe('0.00');
  });
});

describe('Shopify signature', () => {
  const body = Buffer.from(shopifyBody(shopifyFixture('orders-create')));

  it('accepts the base64 HMAC-SHA256 of the raw body under any configured secret', () => {
    expect(() => verifyShopifyHmac(body, shopifyHmac(body, 'second'), ['first', 'second'])).not.toThrow();
  });

  it('refuses a missing, forged or body-altered signature', () => {
    const altered = Buffer.from(body.toString('utf8').replace('"403.00"', '"4.03"'));
    expect(() => verifyShopifyHmac(body, undefined, ['s'])).toThrow(/missing X-Shopify-Hmac-Sha256/);
    expect(() => verifyShopifyHmac(body, shopifyHmac(body, 'forged'), ['s'])).toThrow(AuthenticationError);
    expect(() => verifyShopifyHmac(altered, shopifyHmac(body, 's'), ['s'])).toThrow(/does not match the body/);
    expect(() => verifyShopifyHmac(body, 'bm90IGEgZGlnZXN0', ['s'])).toThrow(AuthenticationError);
  });
});

describe('Shopify orders', () => {
  it('maps the sample order to its placed and cancelled facts, ids exact, money in shop currency with its strings', () => {
    // Act: Shopify's sample order is cancelled (cancelled_at set).
    const events = map('orders/create', shopifyFixture('orders-create'));
    // Assess
    const orderId = `shopify:${SHOP}:820982911946154508`;
    expect(events.map((e) => e.eventId)).toEqual([`ord:${orderId}:placed`, `ord:${orderId}:cancelled`]);
    const [placed] = events;
    expect(placed).toMatchObject({
      customerId: `shopify:${SHOP}:115310627314723954`,
      userId: `shopify:${SHOP}:115310627314723954`,
      anonymousId: `shopify-order:${SHOP}:820982911946154508`,
      kind: 'order',
      name: 'placed',
      source: 'shopify',
      timestamp: '2022-04-06T12:09:03.000Z',
      traits: { email: 'john@test.com', firstName: 'John', lastName: 'Smith' },
      order: { orderId, status: 'placed', currency: 'USD', total: 403, discount: 5 },
      properties: {
        shopify: { shop: SHOP, orderId: '820982911946154508', orderName: '#9999', financialStatus: 'voided' },
        amounts: { total: '403.00', subtotal: '393.00', tax: '0.00', discount: '5.00', shipping: '10.00' },
        itemPrices: ['199.00', '199.00'],
      },
    });
    expect(placed!.order!.items).toEqual([
      { sku: 'IPOD2008PINK', name: 'IPod Nano - 8GB', quantity: 1, unitPrice: 199 },
      { sku: 'IPOD2008PINK', name: 'IPod Nano - 8GB', quantity: 1, unitPrice: 199 },
    ]);
  });

  it('gives orders/create, orders/paid and orders/updated of one order the same event ids', () => {
    const order = { ...shopifyFixture('orders-create'), cancelled_at: null, financial_status: 'pending' };
    const created = map('orders/create', order, 'w-1');
    const paid = map('orders/paid', { ...order, financial_status: 'paid' }, 'w-2');
    const updated = map('orders/updated', { ...order, financial_status: 'paid', fulfillment_status: 'fulfilled' }, 'w-3');
    expect(created.map((e) => e.eventId)).toEqual([`ord:shopify:${SHOP}:820982911946154508:placed`]);
    expect(paid.map((e) => e.eventId)).toEqual(created.map((e) => e.eventId));
    expect(updated.map((e) => e.eventId)).toEqual(created.map((e) => e.eventId));
  });

  it('keys a guest checkout by its email, and an order with neither customer nor email as an anonymous buyer', () => {
    const guest = map('orders/create', { ...shopifyFixture('orders-create'), customer: null, cancelled_at: null });
    expect(guest[0]!.customerId).toMatch(new RegExp(`^shopify:${SHOP}:guest:[0-9a-f]{24}$`));
    expect(guest[0]!.traits).toEqual({ email: 'jon@doe.ca' });
    const pos = map('orders/create', { ...shopifyFixture('orders-create'), customer: null, email: null, contact_email: null, cancelled_at: null });
    expect(pos[0]).toMatchObject({ customerId: `anon:shopify-order:${SHOP}:820982911946154508`, anonymousId: `shopify-order:${SHOP}:820982911946154508` });
    expect(pos[0]!.userId).toBeUndefined();
  });

  it('names the offending field of a bad order', () => {
    const order = { ...shopifyFixture('orders-create'), total_price: 403 };
    expect(() => map('orders/create', order)).toThrow(expect.objectContaining({ name: 'ValidationError', field: 'total_price' }));
    expect(() => map('orders/create', { ...shopifyFixture('orders-create'), currency: 'usd' })).toThrow(/currency: must be an ISO 4217 code/);
  });
});

describe('Shopify refunds', () => {
  it('maps a partial refund (one of two lines) to a refunded fact of the order, keyed by the refund id', () => {
    // Prepare: Shopify's sample refund, reduced to its first line.
    const sample = shopifyFixture('refunds-create');
    const refund = { ...sample, processed_at: '2022-04-07T09:00:00-04:00', refund_line_items: [sample.refund_line_items[0]] };
    // Act
    const [event] = map('refunds/create', refund);
    // Assess
    expect(event).toMatchObject({
      eventId: `ord:shopify:${SHOP}:820982911946154508:refunded:890088186047892319`,
      customerId: `anon:shopify-order:${SHOP}:820982911946154508`,
      anonymousId: `shopify-order:${SHOP}:820982911946154508`,
      timestamp: '2022-04-07T13:00:00.000Z',
      order: { status: 'refunded', currency: 'USD', total: 199, items: [{ sku: 'IPOD2008PINK', quantity: 1, unitPrice: 199 }] },
      properties: {
        amounts: { total: '199.00' },
        refundedLines: [{ lineItemId: '866550311766439020', quantity: 1, subtotal: '199.00', tax: '0.00' }],
      },
    });
    expect(event!.userId).toBeUndefined();
  });

  it('adds refunded lines, tax and shipping exactly, and falls back to the refund transactions', () => {
    const sample = shopifyFixture('refunds-create');
    const money = (amount: string) => ({ shop_money: { amount, currency_code: 'EUR' } });
    const lines = sample.refund_line_items.map((l: Record<string, unknown>, i: number) => ({
      ...l,
      subtotal_set: money(['0.10', '0.20'][i]!),
      total_tax_set: money('0.01'),
    }));
    const withShipping = { ...sample, refund_line_items: lines, order_adjustments: [{ kind: 'shipping_refund', amount_set: money('-4.99') }] };
    expect(map('refunds/create', withShipping)[0]!.properties['amounts']).toEqual({ total: '5.31' });
    expect(map('refunds/create', withShipping)[0]!.order).toMatchObject({ currency: 'EUR', total: 5.31 });
    const amountOnly = { ...sample, refund_line_items: [], transactions: [{ kind: 'refund', status: 'success', amount: '12.30', currency: 'CAD' }, { kind: 'refund', status: 'failure', amount: '99.00', currency: 'CAD' }] };
    expect(map('refunds/create', amountOnly)[0]!.order).toMatchObject({ currency: 'CAD', total: 12.3, items: [] });
  });
});

describe('Shopify customers and consent', () => {
  it('maps customers/update to an identify with email and names, keyed by the webhook id when Shopify sends no updated_at', () => {
    const events = map('customers/update', shopifyFixture('customers-update'), 'w-9');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventId: `shopify:${SHOP}:customer:706405506930370084:w-9`,
      customerId: `shopify:${SHOP}:706405506930370084`,
      kind: 'identify',
      traits: { email: 'bob@biller.com', firstName: 'Bob', lastName: 'Biller' },
    });
  });

  it('maps subscribed and unsubscribed to the all-marketing topic, timed at consent_updated_at; other states change nothing', () => {
    const customer = { ...shopifyFixture('customers-update'), updated_at: '2025-02-01T00:00:00Z' };
    const consent = (state: string) => ({ state, opt_in_level: 'single_opt_in', consent_updated_at: '2025-01-15T10:00:00-05:00' });
    const unsubscribed = map('customers/update', { ...customer, email_marketing_consent: consent('unsubscribed') });
    expect(unsubscribed[1]).toMatchObject({ timestamp: '2025-01-15T15:00:00.000Z', traits: { email: 'bob@biller.com', consent: { '*': false } } });
    expect(map('customers/update', { ...customer, email_marketing_consent: consent('subscribed') })[1]!.traits).toMatchObject({ consent: { '*': true } });
    for (const state of ['not_subscribed', 'pending', 'invalid', 'redacted']) {
      expect(map('customers/update', { ...customer, email_marketing_consent: consent(state) })).toHaveLength(1);
    }
    const update = map('customers/email_marketing_consent_update', shopifyFixture('customers-email-marketing-consent-update'));
    expect(update).toEqual([expect.objectContaining({ customerId: `shopify:${SHOP}:706405506930370084`, timestamp: '2025-01-02T15:00:00.000Z', traits: { email: 'bob@biller.com', consent: { '*': false } } })]);
  });

  it('prefers the shop site’s own id over other Shopify customers, never an anonymous or pseudonymous one', () => {
    const self = `shopify:${SHOP}:1`;
    expect(preferredCustomer(['anon:a', 'email:e', `shopify:other.myshopify.com:2`, 'web-7', self], self)).toBe('web-7');
    expect(preferredCustomer(['anon:a', `shopify:other.myshopify.com:2`, self], self)).toBe('shopify:other.myshopify.com:2');
    expect(preferredCustomer([self, 'anon:a'], self)).toBeUndefined();
  });
});

describe('Shopify compliance topics and unknown topics', () => {
  it('turns each compliance webhook into one request keyed by Shopify’s own request identity', () => {
    const [data] = map('customers/data_request', shopifyFixture('customers-data-request'));
    const [redact] = map('customers/redact', shopifyFixture('customers-redact'));
    const [shop] = map('shop/redact', shopifyFixture('shop-redact'));
    expect(data!.eventId).toBe(`shopify-request:${SHOP}:customers/data_request:9999`);
    expect(data!.properties['compliance']).toMatchObject({ topic: 'customers/data_request', shopifyCustomerId: '191167', email: 'john@example.com', orderIds: ['299938', '280263', '220458'], dataRequestId: '9999' });
    expect(redact!.eventId).toBe(`shopify-request:${SHOP}:customers/redact:191167`);
    expect(shop!.eventId).toBe(`shopify-request:${SHOP}:shop/redact`);
    expect(JSON.stringify(data)).not.toContain('555-625-1199');
  });

  it('does not handle other topics', () => {
    expect(mapShopifyWebhook(delivery('products/update'), {})).toBeUndefined();
  });
});
