import { anonymousCustomerId } from '../../../kernel/ids.js';
import { normalizeOrder } from '../../../kernel/events/normalize-order.js';
import type { OrderEvent } from '../../../kernel/events/order-event.js';
import type { OrderLine, StoredEvent } from '../../../kernel/events/stored-event.js';
import { absDecimal, decimalToNumber, sumDecimals } from './shopify-money.js';
import type { MoneySet, ShopifyLineItem, ShopifyOrder, ShopifyRefund } from './shopify-payloads.js';
import {
  nameTraits,
  SHOPIFY_SOURCE,
  shopifyCustomerKey,
  shopifyGuestKey,
  shopifyOrderId,
  shopifyOrderKey,
  validEmail,
  type ShopifyDelivery,
} from './shopify-ids.js';

/**
 * Shopify orders and refunds -> winback's order facts. An order webhook carries the whole order
 * as it is now, so each one yields every fact the order implies: placed (always), cancelled (once
 * cancelled_at is set) and one refunded fact per refund in it. orders/create, orders/updated,
 * orders/paid and orders/cancelled of one order therefore converge on the same few records.
 *
 * Money stays in the shop's currency (`currency`; presentment currencies are ignored). The order's
 * number fields are the doubles nearest Shopify's decimal strings, never the result of arithmetic
 * on doubles; the strings themselves are kept in `properties.amounts` (and `itemPrices`).
 */

/** ISO 4217's code for "no currency": a refund that moved no money (restock only). */
const NO_CURRENCY = 'XXX';

export interface OrderIdentity {
  readonly customerId: string;
  readonly userId?: string;
  readonly anonymousId: string;
  readonly traits: Record<string, unknown>;
}

function orderIdentity(order: ShopifyOrder, shop: string): OrderIdentity {
  const anonymousId = shopifyOrderKey(shop, order.id);
  const email = validEmail(order.customer?.email) ?? validEmail(order.email) ?? validEmail(order.contact_email);
  const traits = { ...(email ? { email } : {}), ...nameTraits(order.customer) };
  if (order.customer) return { customerId: shopifyCustomerKey(shop, order.customer.id), userId: shopifyCustomerKey(shop, order.customer.id), anonymousId, traits };
  if (email) return { customerId: shopifyGuestKey(shop, email), userId: shopifyGuestKey(shop, email), anonymousId, traits };
  // No customer and no address (a point-of-sale sale): an anonymous buyer, like an unidentified visitor.
  return { customerId: anonymousCustomerId(anonymousId), anonymousId, traits: {} };
}

function withIdentity(event: StoredEvent, who: OrderIdentity): StoredEvent {
  const { userId: _userId, traits: _traits, ...rest } = event;
  return {
    ...rest,
    customerId: who.customerId,
    anonymousId: who.anonymousId,
    ...(who.userId ? { userId: who.userId } : {}),
    ...(Object.keys(who.traits).length > 0 ? { traits: who.traits } : {}),
  };
}

/** A line's SKU, or the most specific Shopify id there is (custom items have no SKU). */
function orderLine(item: ShopifyLineItem, quantity = item.quantity): OrderLine {
  const sku = item.sku || (item.variant_id ? `variant:${item.variant_id}` : item.product_id ? `product:${item.product_id}` : `line:${item.id}`);
  const name = item.title ?? item.name;
  return { sku, ...(name ? { name } : {}), quantity, unitPrice: decimalToNumber(item.price) };
}

const shopMoney = (set: MoneySet | null | undefined): string[] => (set ? [set.shop_money.amount] : []);

export function orderEvents(order: ShopifyOrder, d: ShopifyDelivery): StoredEvent[] {
  const who = orderIdentity(order, d.shop);
  const ctx = { receivedAt: d.receivedAt, source: SHOPIFY_SOURCE };
  const lines = (order.line_items ?? []).filter((l) => l.quantity > 0);
  const couponCode = order.discount_codes?.[0]?.code;
  const base: Omit<OrderEvent, 'status' | 'timestamp'> = {
    orderId: shopifyOrderId(d.shop, order.id),
    customerId: who.customerId,
    currency: order.currency,
    total: decimalToNumber(order.total_price),
    discount: decimalToNumber(absDecimal(order.total_discounts ?? '0')),
    items: lines.map((l) => orderLine(l)),
    ...(couponCode ? { couponCode } : {}),
    properties: {
      shopify: {
        shop: d.shop,
        orderId: order.id,
        ...(order.name ? { orderName: order.name } : {}),
        ...(order.financial_status ? { financialStatus: order.financial_status } : {}),
        ...(order.fulfillment_status ? { fulfillmentStatus: order.fulfillment_status } : {}),
        ...(order.source_name ? { sourceName: order.source_name } : {}),
        ...(order.cancel_reason ? { cancelReason: order.cancel_reason } : {}),
        ...(order.discount_codes?.length ? { discountCodes: order.discount_codes.map((c) => c.code) } : {}),
        ...(order.test ? { test: true } : {}),
      },
      amounts: {
        total: order.total_price,
        ...(order.subtotal_price ? { subtotal: order.subtotal_price } : {}),
        ...(order.total_tax ? { tax: order.total_tax } : {}),
        ...(order.total_discounts ? { discount: order.total_discounts } : {}),
        ...(order.total_shipping_price_set ? { shipping: order.total_shipping_price_set.shop_money.amount } : {}),
      },
      itemPrices: lines.map((l) => l.price),
    },
  };
  const facts = [withIdentity(normalizeOrder({ ...base, status: 'placed', timestamp: order.processed_at ?? order.created_at }, ctx), who)];
  if (order.cancelled_at) {
    facts.push(withIdentity(normalizeOrder({ ...base, status: 'cancelled', timestamp: order.cancelled_at }, ctx), who));
  }
  for (const refund of order.refunds ?? []) facts.push(refundEvent(refund, d, who));
  return facts;
}

/**
 * What a refund gave back, in the shop's currency: its refunded lines (subtotal + tax) plus any
 * shipping refunded; for a refund of an amount with no lines, the successful refund transactions.
 */
export function refundAmount(refund: ShopifyRefund): { readonly total: string; readonly currency: string } {
  const lines = (refund.refund_line_items ?? []).flatMap((l) => [l.subtotal_set, l.total_tax_set]).filter((m): m is MoneySet => Boolean(m));
  const shipping = (refund.order_adjustments ?? []).filter((a) => a.kind === 'shipping_refund' && a.amount_set).map((a) => a.amount_set as MoneySet);
  const first = lines[0] ?? shipping[0];
  if (first) {
    const amounts = [...lines.flatMap(shopMoney), ...shipping.flatMap(shopMoney).map(absDecimal)];
    return { total: sumDecimals(amounts), currency: first.shop_money.currency_code };
  }
  const paid = (refund.transactions ?? []).filter((t) => t.kind === 'refund' && (t.status ?? 'success') === 'success');
  if (paid.length > 0) return { total: sumDecimals(paid.map((t) => t.amount)), currency: paid[0]!.currency ?? NO_CURRENCY };
  return { total: '0.00', currency: NO_CURRENCY };
}

/**
 * One refund, partial or whole, is one `refunded` fact of its order: its `items` are the lines it
 * refunded (with the quantities refunded) and its total what it gave back. refunds/create names
 * only the order, so without `who` the fact carries the order's anonymous id and reaches the
 * order's customer through the link the order's own events make.
 */
export function refundEvent(refund: ShopifyRefund, d: ShopifyDelivery, who?: OrderIdentity): StoredEvent {
  const orderKey = shopifyOrderKey(d.shop, refund.order_id);
  const identity = who ?? { customerId: anonymousCustomerId(orderKey), anonymousId: orderKey, traits: {} };
  const orderId = shopifyOrderId(d.shop, refund.order_id);
  const money = refundAmount(refund);
  const lines = (refund.refund_line_items ?? []).filter((l) => l.quantity > 0);
  const order: OrderEvent = {
    orderId,
    status: 'refunded',
    customerId: identity.customerId,
    currency: money.currency,
    total: decimalToNumber(money.total),
    discount: 0,
    items: lines.map((l) => (l.line_item ? orderLine(l.line_item, l.quantity) : { sku: `line:${l.line_item_id}`, quantity: l.quantity, unitPrice: 0 })),
    timestamp: refund.processed_at ?? refund.created_at ?? d.receivedAt,
    properties: {
      shopify: { shop: d.shop, orderId: refund.order_id, refundId: refund.id },
      amounts: { total: money.total },
      refundedLines: lines.map((l) => ({
        lineItemId: l.line_item_id,
        quantity: l.quantity,
        ...(l.subtotal_set ? { subtotal: l.subtotal_set.shop_money.amount } : {}),
        ...(l.total_tax_set ? { tax: l.total_tax_set.shop_money.amount } : {}),
      })),
    },
  };
  const event = withIdentity(normalizeOrder(order, { receivedAt: d.receivedAt, source: SHOPIFY_SOURCE }), identity);
  return { ...event, eventId: `ord:${orderId}:refunded:${refund.id}` };
}
