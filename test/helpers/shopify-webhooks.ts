import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseShopifyJson } from '../../functions/ingest/shopify/shopify-json.js';
import { shopifyHmac } from '../../functions/ingest/shopify/shopify-signature.js';
import { post } from './stack.js';
import type { LocalStack } from '../../scripts/local/stack.js';

/** Shopify's sample webhook bodies (see test/fixtures/shopify/README.md), and how Shopify sends them. */
export const SHOPIFY_SECRET = 'shpss_winback_test_secret_0123456789';

/** A fixture as an object; its 64-bit ids come back as exact digit strings. */
export function shopifyFixture(name: string): Record<string, any> {
  return parseShopifyJson(readFileSync(join(import.meta.dirname, '../fixtures/shopify', `${name}.json`))) as Record<string, any>;
}

/** JSON as Shopify writes it: ids (`id`, `order_id`, ...) as bare numbers, however large. */
export function shopifyBody(value: unknown): string {
  return JSON.stringify(value).replace(/"((?:[a-z]+_)?id)":"(\d+)"/g, '"$1":$2');
}

export interface ShopifyDeliveryOptions {
  readonly shop: string;
  readonly webhookId?: string;
  /** Sign with this key (default SHOPIFY_SECRET); null sends no signature header. */
  readonly secret?: string | null;
  /** Sign these bytes instead of the body (a body altered after signing). */
  readonly signedBody?: string;
  readonly omit?: readonly string[];
}

export function sendShopify(stack: LocalStack, topic: string, body: string, opts: ShopifyDeliveryOptions) {
  const secret = opts.secret === undefined ? SHOPIFY_SECRET : opts.secret;
  const headers: Record<string, string> = {
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': opts.shop,
    'x-shopify-webhook-id': opts.webhookId ?? randomUUID(),
    'x-shopify-api-version': '2025-07',
    'x-shopify-triggered-at': new Date().toISOString(),
  };
  if (secret !== null) headers['x-shopify-hmac-sha256'] = shopifyHmac(opts.signedBody ?? body, secret);
  for (const name of opts.omit ?? []) delete headers[name.toLowerCase()];
  return post(stack, '/webhooks/shopify', undefined, { key: null, headers, raw: body });
}
