import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { httpHandler } from './commons/handler.js';
import { loadSecrets } from './campaigns/secrets.js';
import { routeUnsubscribe } from './campaigns/unsubscribe-routes.js';

/**
 * Unsubscribe and preference pages (API Gateway HTTP API v2, and the local runtime):
 * GET/POST /unsubscribe?token=... (RFC 8058 one-click on POST; GET only confirms) and
 * GET/POST /preferences. Public: the signed token is the only credential, no cookies, no login.
 * In AWS the token key is in Secrets Manager: loaded (once per container) before any token is checked.
 */
export const unsubscribeHttp = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  await loadSecrets();
  return routeUnsubscribe(event, { config: getConfig(), now: () => new Date() });
};

export const handler = httpHandler(unsubscribeHttp);
