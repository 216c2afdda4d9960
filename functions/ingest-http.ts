import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { httpHandler } from './commons/handler.js';
import { route } from './ingest/routes.js';

/**
 * Ingest API (API Gateway HTTP API v2, and the local runtime): Segment-compatible /v1/batch
 * (/v1/b, /v1/import) and a route per type (/v1/track or /v1/t, identify, page, screen, group,
 * alias); /v1/orders; /v1/email-events (SNS); /webhooks/shopify. Validates at the edge, answers
 * 200 only once the events are on the queue.
 */
export const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  route(event)(event, { config: getConfig(), now: () => new Date() });

export const handler = httpHandler(ingest);
