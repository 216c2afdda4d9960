import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Config } from '../../commons/config.js';
import { json } from '../../commons/http.js';
import { logger } from '../../commons/logger.js';
import { ConfigError, ValidationError } from '../../../kernel/errors.js';
import { bodyBytes, header } from '../request.js';
import { enqueueEvents } from '../enqueue.js';
import { assertStorable } from '../../events/validation.js';
import { parseShopifyJson } from './shopify-json.js';
import { shopifySecrets } from './shopify-secret.js';
import { verifyShopifyHmac } from './shopify-signature.js';
import { mapShopifyWebhook } from './shopify-mapping.js';
import type { ShopifyDelivery } from './shopify-ids.js';

/**
 * POST /webhooks/shopify: Shopify's webhooks as Shopify sends them. The signature is checked
 * first, over the raw body, so an unsigned or altered request is a 401 that stores nothing; then
 * the headers and the body (a 400 names the field); then the events go to the same queue, and
 * through the same processor, as every other source. Unknown topics get a 200 (Shopify disables
 * a subscription whose deliveries keep failing) and a log line with the topic only.
 */
export interface ShopifyWebhookContext {
  readonly config: Config;
  readonly now: () => Date;
}

const SHOP_DOMAIN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/;
const WEBHOOK_ID = /^[A-Za-z0-9_-]{1,100}$/;

function requiredHeader(event: APIGatewayProxyEventV2, name: string, pattern: RegExp): string {
  const value = header(event, name.toLowerCase())?.trim();
  if (!value) throw new ValidationError(`${name} header is required`, name);
  if (!pattern.test(value)) throw new ValidationError(`${name} header is malformed`, name);
  return value;
}

export function readDelivery(event: APIGatewayProxyEventV2, receivedAt: string): ShopifyDelivery {
  return {
    // Loose on purpose: a topic winback does not know must still get its 200, never a 400.
    topic: requiredHeader(event, 'X-Shopify-Topic', /^[\w./-]{1,100}$/),
    shop: requiredHeader(event, 'X-Shopify-Shop-Domain', SHOP_DOMAIN).toLowerCase(),
    webhookId: requiredHeader(event, 'X-Shopify-Webhook-Id', WEBHOOK_ID),
    receivedAt,
  };
}

export async function shopifyWebhook(event: APIGatewayProxyEventV2, ctx: ShopifyWebhookContext): Promise<APIGatewayProxyStructuredResultV2> {
  const raw = bodyBytes(event, ctx.config.MAX_BODY_BYTES);
  verifyShopifyHmac(raw, header(event, 'x-shopify-hmac-sha256'), await shopifySecrets(ctx.config));
  const delivery = readDelivery(event, ctx.now().toISOString());
  const events = mapShopifyWebhook(delivery, parseShopifyJson(raw));
  if (events === undefined) {
    logger.info('Shopify topic not handled: acknowledged and ignored', { topic: delivery.topic, webhookId: delivery.webhookId });
    return json(200, { success: true, ignored: true });
  }
  if (events.length > 0) {
    assertStorable(events, 'events');
    if (!ctx.config.EVENTS_QUEUE_URL) throw new ConfigError('EVENTS_QUEUE_URL is not configured');
    await enqueueEvents(ctx.config.EVENTS_QUEUE_URL, events);
  }
  return json(200, { success: true, events: events.length });
}
