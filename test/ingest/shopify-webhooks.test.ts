import { describe, expect, it, vi } from 'vitest';
import { post, useLocalStack } from '../helpers/stack.js';
import { SHOPIFY_SECRET, sendShopify, shopifyBody, shopifyFixture } from '../helpers/shopify-webhooks.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';
import { getProfile } from '../../functions/store/profiles.js';
import { listComplianceRequests } from '../../functions/store/compliance-requests.js';

// The local stack reads the key as `winback up` does: from WINBACK_SHOPIFY_SECRET.
process.env['WINBACK_SHOPIFY_SECRET'] = SHOPIFY_SECRET;
const stackOf = useLocalStack();

const ORDER_ID = '820982911946154508';
const SAMPLE_CUSTOMER = '115310627314723954';
/** Shopify's sample order as a fresh, paid, uncancelled order of `email`. */
const paidOrder = (email: string, over: Record<string, unknown> = {}) => {
  const sample = shopifyFixture('orders-create');
  return { ...sample, cancelled_at: null, cancel_reason: null, financial_status: 'paid', customer: { ...sample.customer, email }, ...over };
};
const ordersOf = async (table: string, customerId: string) => (await queryCustomerEvents(table, customerId)).filter((e) => e.kind === 'order');

describe('POST /webhooks/shopify: orders', () => {
  it('orders/create reaches the customer with that email once, even when redelivered with the same webhook id', async () => {
    // Prepare: the shop's site already identified this customer.
    const stack = stackOf();
    const shop = 'orders-once.myshopify.com';
    await post(stack, '/v1/identify', { userId: 'web-john', messageId: 'id-web-john', timestamp: '2026-01-01T00:00:00Z', traits: { email: 'John@Test.com' } });
    await stack.drain({ timeoutMs: 30_000 });
    const body = shopifyBody(paidOrder('john@test.com'));
    // Act: one delivery, Shopify's redelivery of it (same webhook id), and orders/paid of the same order.
    const first = await sendShopify(stack, 'orders/create', body, { shop, webhookId: 'wh-order-1' });
    const again = await sendShopify(stack, 'orders/create', body, { shop, webhookId: 'wh-order-1' });
    const paid = await sendShopify(stack, 'orders/paid', body, { shop, webhookId: 'wh-order-2' });
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect([first.status, again.status, paid.status]).toEqual([200, 200, 200]);
    const orders = await ordersOf(stack.tableName, 'web-john');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      eventId: `ord:shopify:${shop}:${ORDER_ID}:placed`,
      customerId: 'web-john',
      source: 'shopify',
      order: { orderId: `shopify:${shop}:${ORDER_ID}`, status: 'placed', currency: 'USD', total: 403, discount: 5 },
      properties: { amounts: { total: '403.00', subtotal: '393.00', shipping: '10.00' }, shopify: { orderName: '#9999', financialStatus: 'paid' } },
    });
    expect(await queryCustomerEvents(stack.tableName, `shopify:${shop}:${SAMPLE_CUSTOMER}`)).toEqual([]);
    expect((await getProfile(stack.tableName, 'web-john'))?.traits).toMatchObject({ firstName: 'John', lastName: 'Smith' });
  });

  it('a Shopify customer with an unknown email becomes a customer of its own, and its later orders join it', async () => {
    const stack = stackOf();
    const shop = 'new-buyer.myshopify.com';
    await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('new-buyer@example.com')), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    // The site identifies someone with the same address afterwards: the link made first stands.
    await post(stack, '/v1/identify', { userId: 'web-late', messageId: 'id-web-late', timestamp: '2026-01-02T00:00:00Z', traits: { email: 'new-buyer@example.com' } });
    await stack.drain({ timeoutMs: 30_000 });
    await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('new-buyer@example.com', { id: '820982911946154600', name: '#10000' })), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    const own = await ordersOf(stack.tableName, `shopify:${shop}:${SAMPLE_CUSTOMER}`);
    expect(own.map((e) => e.order?.orderId).sort()).toEqual([`shopify:${shop}:${ORDER_ID}`, `shopify:${shop}:820982911946154600`]);
    expect(await ordersOf(stack.tableName, 'web-late')).toEqual([]);
  });

  it('refunds/create marks the order refunded (a partial refund by line item), in whichever order the two arrive', async () => {
    const stack = stackOf();
    const shop = 'refunds.myshopify.com';
    const customerId = `shopify:${shop}:${SAMPLE_CUSTOMER}`;
    const sample = shopifyFixture('refunds-create');
    const partial = (orderId: string, refundId: string) =>
      shopifyBody({ ...sample, id: refundId, order_id: orderId, processed_at: '2026-02-01T10:00:00Z', refund_line_items: [sample.refund_line_items[0]] });
    // Act: order then refund; and for a second order, the refund first (Shopify does not order deliveries).
    await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('refunds@example.com')), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    await sendShopify(stack, 'refunds/create', partial(ORDER_ID, '890088186047892319'), { shop, webhookId: 'wh-refund-1' });
    await sendShopify(stack, 'refunds/create', partial(ORDER_ID, '890088186047892319'), { shop, webhookId: 'wh-refund-1' });
    await sendShopify(stack, 'refunds/create', partial('820982911946154700', '890088186047892400'), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('refunds@example.com', { id: '820982911946154700' })), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    const orders = await ordersOf(stack.tableName, customerId);
    const facts = orders.map((e) => `${e.order?.orderId.split(':').pop()} ${e.name}`).sort();
    expect(facts).toEqual([`${ORDER_ID} placed`, `${ORDER_ID} refunded`, '820982911946154700 placed', '820982911946154700 refunded']);
    const refund = orders.find((e) => e.eventId === `ord:shopify:${shop}:${ORDER_ID}:refunded:890088186047892319`);
    expect(refund).toMatchObject({
      order: { status: 'refunded', total: 199, currency: 'USD', items: [{ sku: 'IPOD2008PINK', quantity: 1, unitPrice: 199 }] },
      properties: { amounts: { total: '199.00' }, refundedLines: [{ lineItemId: '866550311766439020', quantity: 1, subtotal: '199.00' }] },
    });
    expect(await queryCustomerEvents(stack.tableName, `anon:shopify-order:${shop}:820982911946154700`)).toEqual([]);
  });
});

describe('POST /webhooks/shopify: what is refused', () => {
  it('forged, missing and body-altered signatures get 401 and store nothing', async () => {
    // Prepare
    const stack = stackOf();
    const shop = 'forged.myshopify.com';
    const body = shopifyBody(paidOrder('forged@example.com'));
    const before = await countEvents(stack.tableName);
    // Act
    const forged = await sendShopify(stack, 'orders/create', body, { shop, secret: 'shpss_not_the_app_secret' });
    const missing = await sendShopify(stack, 'orders/create', body, { shop, secret: null });
    const altered = await sendShopify(stack, 'orders/create', body.replace('"403.00"', '"0.01"'), { shop, signedBody: body });
    await stack.drain({ timeoutMs: 30_000 });
    // Assess
    expect([forged.status, missing.status, altered.status]).toEqual([401, 401, 401]);
    expect(missing.body['message']).toMatch(/missing X-Shopify-Hmac-Sha256/);
    expect(altered.body['message']).toMatch(/does not match the body/);
    expect(await countEvents(stack.tableName)).toEqual(before);
    expect(await queryCustomerEvents(stack.tableName, `shopify:${shop}:${SAMPLE_CUSTOMER}`)).toEqual([]);
  });

  it('a signed delivery with a bad payload or header gets a 400 naming it; an unknown topic a 200; no email reaches the logs', async () => {
    const stack = stackOf();
    const shop = 'bad-input.myshopify.com';
    const written: string[] = [];
    const capture = (chunk: unknown): boolean => (written.push(String(chunk)), true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const badTotal = await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('private.person@example.com', { total_price: 403 })), { shop });
      const noTopic = await sendShopify(stack, 'orders/create', shopifyBody(paidOrder('private.person@example.com')), { shop, omit: ['X-Shopify-Topic'] });
      const unknown = await sendShopify(stack, 'products/update', shopifyBody({ id: 1, email: 'private.person@example.com' }), { shop });
      const notJson = await sendShopify(stack, 'orders/create', '{"email":"private.person@example.com",', { shop });
      expect([badTotal.status, badTotal.body['field']]).toEqual([400, 'total_price']);
      expect([noTopic.status, noTopic.body['field']]).toEqual([400, 'X-Shopify-Topic']);
      expect([unknown.status, unknown.body['ignored']]).toEqual([200, true]);
      expect(notJson.status).toBe(400);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    await stack.drain({ timeoutMs: 30_000 });
    expect(written.join('')).toContain('products/update');
    expect(written.join('')).not.toContain('private.person');
    expect(await queryCustomerEvents(stack.tableName, `shopify:${shop}:${SAMPLE_CUSTOMER}`)).toEqual([]);
  });
});

describe('POST /webhooks/shopify: customers, consent and compliance', () => {
  it('maps email_marketing_consent to consent for all marketing, timed when the customer chose', async () => {
    const stack = stackOf();
    const shop = 'consent.myshopify.com';
    const customerId = `shopify:${shop}:706405506930370084`;
    const customer = (state: string, consentAt: string, updatedAt: string) =>
      shopifyBody({ ...shopifyFixture('customers-update'), updated_at: updatedAt, email_marketing_consent: { state, opt_in_level: 'single_opt_in', consent_updated_at: consentAt } });
    // Act: subscribed; then an unsubscribe (the API 2025-01 topic); then an address change still carrying the older subscribed state.
    await sendShopify(stack, 'customers/create', customer('subscribed', '2025-01-01T10:00:00Z', '2025-01-01T10:00:00Z'), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    const subscribed = await getProfile(stack.tableName, customerId);
    await sendShopify(stack, 'customers/email_marketing_consent_update', shopifyBody(shopifyFixture('customers-email-marketing-consent-update')), { shop });
    await sendShopify(stack, 'customers/update', customer('subscribed', '2025-01-01T10:00:00Z', '2025-03-01T00:00:00Z'), { shop });
    await sendShopify(stack, 'customers/update', customer('not_subscribed', '2025-03-02T00:00:00Z', '2025-03-02T00:00:00Z'), { shop });
    await stack.drain({ timeoutMs: 30_000 });
    const unsubscribed = await getProfile(stack.tableName, customerId);
    // Assess
    expect(subscribed).toMatchObject({ email: 'bob@biller.com', traits: { firstName: 'Bob', lastName: 'Biller' }, consent: { '*': { granted: true, source: 'shopify' } } });
    expect(unsubscribed?.consent['*']).toEqual({ granted: false, at: '2025-01-02T15:00:00.000Z', source: 'shopify' });
  });

  it('records customers/data_request for the shop owner (once) and carries out customers/redact and shop/redact when they arrive', async () => {
    const stack = stackOf();
    const shop = 'compliance.myshopify.com';
    await post(stack, '/v1/identify', { userId: 'web-privacy', messageId: 'id-web-privacy', timestamp: '2026-01-01T00:00:00Z', traits: { email: 'john@example.com' } });
    await stack.drain({ timeoutMs: 30_000 });
    const before = await countEvents(stack.tableName);
    // Act: each topic, one after the other, and the data request a second time (Shopify redelivers).
    for (const [topic, fixture] of [
      ['customers/data_request', 'customers-data-request'],
      ['customers/redact', 'customers-redact'],
      ['shop/redact', 'shop-redact'],
      ['customers/data_request', 'customers-data-request'],
    ] as const) {
      expect((await sendShopify(stack, topic, shopifyBody(shopifyFixture(fixture)), { shop })).status).toBe(200);
      await stack.drain({ timeoutMs: 30_000 });
    }
    // Assess: the customer the redact named is erased, with the requests that held its address (the
    // first data request too); the redelivered data request, recorded after, waits for the owner and
    // concerns no customer any more.
    const requests = (await listComplianceRequests(stack.tableName)).filter((r) => r.shop === shop);
    expect(requests.map((r) => r.requestKey)).toEqual(['customers/data_request:9999']);
    expect(requests[0]).toMatchObject({ status: 'pending', topic: 'customers/data_request', customerIds: [] });
    expect(await getProfile(stack.tableName, 'web-privacy')).toBeUndefined();
    expect((await countEvents(stack.tableName)).total).toEqual(before.total - 1);
  });

});
