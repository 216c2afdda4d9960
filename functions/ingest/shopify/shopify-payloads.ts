import { z } from 'zod';

/**
 * Shopify webhook bodies (REST Admin API shapes, as in Shopify's webhook reference and its sample
 * payloads). Only the fields winback reads are checked; the rest pass, since every API version
 * adds fields. Fields Shopify documents as nullable are nullish here: its own test payloads send
 * `null` for timestamps and consent.
 */

/** A 64-bit Shopify id: parseShopifyJson hands over the unsafe ones as digit strings. */
export const ShopifyId = z
  .union([z.string().regex(/^\d{1,20}$/, 'must be a Shopify id (digits)'), z.number().int().nonnegative()])
  .transform(String);
export type ShopifyId = z.infer<typeof ShopifyId>;

/** Money: a decimal string in the shop's currency, kept exactly ("199.99"). */
export const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "199.99"');
export type Decimal = z.infer<typeof Decimal>;

const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"');
const Timestamp = z.iso.datetime({ offset: true });
const Text = z.string().max(500).nullish();

export const MoneySet = z.object({ shop_money: z.object({ amount: Decimal, currency_code: Currency }) });
export type MoneySet = z.infer<typeof MoneySet>;

/** `state`: subscribed | not_subscribed | unsubscribed | pending | redacted | invalid (open-ended on purpose). */
export const EmailMarketingConsent = z.object({
  state: z.string().min(1).max(50),
  opt_in_level: Text,
  consent_updated_at: Timestamp.nullish(),
});
export type EmailMarketingConsent = z.infer<typeof EmailMarketingConsent>;

/** The body of customers/create and customers/update, and `customer` inside an order. */
export const ShopifyCustomer = z.object({
  id: ShopifyId,
  email: z.string().max(320).nullish(),
  first_name: Text,
  last_name: Text,
  created_at: Timestamp.nullish(),
  updated_at: Timestamp.nullish(),
  /** Removed from customer webhooks in API 2025-01 (customers/email_marketing_consent_update replaces it). */
  email_marketing_consent: EmailMarketingConsent.nullish(),
});
export type ShopifyCustomer = z.infer<typeof ShopifyCustomer>;

/** customers/email_marketing_consent_update (API 2025-01 and later). */
export const ShopifyConsentUpdate = z.object({
  customer_id: ShopifyId,
  email_address: z.string().max(320).nullish(),
  email_marketing_consent: EmailMarketingConsent,
});
export type ShopifyConsentUpdate = z.infer<typeof ShopifyConsentUpdate>;

export const ShopifyLineItem = z.object({
  id: ShopifyId,
  sku: Text,
  variant_id: ShopifyId.nullish(),
  product_id: ShopifyId.nullish(),
  title: Text,
  name: Text,
  quantity: z.number().int().nonnegative(),
  price: Decimal,
});
export type ShopifyLineItem = z.infer<typeof ShopifyLineItem>;

/** The body of refunds/create, and each of an order's `refunds`. */
export const ShopifyRefund = z.object({
  id: ShopifyId,
  order_id: ShopifyId,
  created_at: Timestamp.nullish(),
  processed_at: Timestamp.nullish(),
  refund_line_items: z
    .array(
      z.object({
        id: ShopifyId,
        line_item_id: ShopifyId,
        quantity: z.number().int().nonnegative(),
        subtotal_set: MoneySet.nullish(),
        total_tax_set: MoneySet.nullish(),
        line_item: ShopifyLineItem.nullish(),
      }),
    )
    .nullish(),
  /** Shipping refunds and refund discrepancies; a refunded amount is negative here. */
  order_adjustments: z.array(z.object({ kind: z.string(), amount_set: MoneySet.nullish() })).nullish(),
  transactions: z
    .array(z.object({ kind: z.string(), status: z.string().nullish(), amount: Decimal, currency: Currency.nullish() }))
    .nullish(),
});
export type ShopifyRefund = z.infer<typeof ShopifyRefund>;

/** The body of orders/create, orders/updated, orders/paid and orders/cancelled: the whole order. */
export const ShopifyOrder = z.object({
  id: ShopifyId,
  name: Text,
  email: z.string().max(320).nullish(),
  contact_email: z.string().max(320).nullish(),
  created_at: Timestamp,
  processed_at: Timestamp.nullish(),
  cancelled_at: Timestamp.nullish(),
  cancel_reason: Text,
  /** The shop's currency: every amount below is in it. */
  currency: Currency,
  total_price: Decimal,
  subtotal_price: Decimal.nullish(),
  total_tax: Decimal.nullish(),
  total_discounts: Decimal.nullish(),
  total_shipping_price_set: MoneySet.nullish(),
  financial_status: Text,
  fulfillment_status: Text,
  source_name: Text,
  test: z.boolean().nullish(),
  discount_codes: z.array(z.object({ code: z.string().min(1).max(100) })).nullish(),
  line_items: z.array(ShopifyLineItem).max(5000).nullish(),
  customer: ShopifyCustomer.nullish(),
  refunds: z.array(ShopifyRefund).nullish(),
});
export type ShopifyOrder = z.infer<typeof ShopifyOrder>;

/** Who a compliance request is about; Shopify may send only the email. */
const ComplianceCustomer = z.object({ id: ShopifyId.nullish(), email: z.string().max(320).nullish() });

/** customers/data_request: the shop asks for the data held on a customer. */
export const ShopifyDataRequest = z.object({
  shop_domain: Text,
  customer: ComplianceCustomer,
  orders_requested: z.array(ShopifyId).nullish(),
  data_request: z.object({ id: ShopifyId }).nullish(),
});
export type ShopifyDataRequest = z.infer<typeof ShopifyDataRequest>;

/** customers/redact: erase a customer's personal data. */
export const ShopifyCustomerRedact = z.object({
  shop_domain: Text,
  customer: ComplianceCustomer,
  orders_to_redact: z.array(ShopifyId).nullish(),
});
export type ShopifyCustomerRedact = z.infer<typeof ShopifyCustomerRedact>;

/** shop/redact: 48 hours after the app was uninstalled, erase the shop's data. */
export const ShopifyShopRedact = z.object({ shop_id: ShopifyId.nullish(), shop_domain: Text });
export type ShopifyShopRedact = z.infer<typeof ShopifyShopRedact>;
