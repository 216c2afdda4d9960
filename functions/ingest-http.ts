import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { httpErrors } from './commons/http.js';
import { logger } from './commons/logger.js';
import { route } from './ingest/routes.js';

/**
 * Ingest API (API Gateway HTTP API v2, and the local runtime): Segment-compatible /v1/batch,
 * /v1/track, /v1/identify, /v1/page; /v1/orders; /v1/email-events (SNS). Validates at the
 * edge, answers 200 only once the events are on the queue.
 */
export const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  route(event)(event, { config: getConfig(), now: () => new Date() });

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(ingest);
