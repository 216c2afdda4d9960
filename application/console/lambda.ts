import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { loadSecrets } from '../../functions/campaigns/secrets.js';
import { getConfig } from '../../functions/commons/config.js';
import { httpErrors } from '../../functions/commons/http.js';
import { logger } from '../../functions/commons/logger.js';
import { CONSOLE_API_PREFIX, CONSOLE_EDITORS_GROUP } from '../../functions/console/routes.js';
import { handleApi, type ConsolePrincipal } from './api.js';
import { problem, type ConsoleResponse } from './responses.js';

/**
 * The console's API in AWS: API Gateway (HTTP API, payload 2.0) routes every CONSOLE_API_ROUTES
 * path here, each behind the Cognito JWT authorizer, so a request that arrives has a verified
 * token (signature, issuer, audience, expiry). This handler only reads who it is from the claims
 * and refuses writes to anyone outside CONSOLE_EDITORS_GROUP (403). A request without claims means
 * the authorizer was bypassed or removed: it is refused (401), never served.
 *
 * It lives in application/, not functions/, because it answers with the application layer's
 * functions (overview, model registry, campaign files, customer record), the ones the CLI uses;
 * infra names it by its path only (infra/constructs/console.ts), never imports it.
 *
 * Logging: route and outcome only; never the claims (the ID token carries the user's email).
 */

/**
 * The claims API Gateway passes on. Lists arrive flattened into one string, `[a b]`, as the HTTP
 * API's JWT authorizer writes them; a real array is accepted too.
 */
export const ConsoleClaims = z.object({
  sub: z.string().min(1),
  'cognito:groups': z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((g) => (g === undefined ? [] : Array.isArray(g) ? g : g.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean))),
});
export type ConsoleClaims = z.infer<typeof ConsoleClaims>;

export function principalOf(event: APIGatewayProxyEventV2): ConsolePrincipal | undefined {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } }).authorizer?.jwt?.claims;
  const parsed = ConsoleClaims.safeParse(claims);
  if (!parsed.success) return undefined;
  return { mode: 'cognito', canWrite: parsed.data['cognito:groups'].includes(CONSOLE_EDITORS_GROUP), actor: parsed.data.sub };
}

export const consoleApi = async (event: APIGatewayProxyEventV2): Promise<ConsoleResponse> => {
  const principal = principalOf(event);
  if (!principal) {
    logger.warn('console request without verified claims refused');
    return { ...problem(401, 'Unauthorized', 'sign in to use the console'), headers: { 'www-authenticate': 'Bearer', 'content-type': 'application/json', 'cache-control': 'no-store' } };
  }
  if (!event.rawPath.startsWith(`${CONSOLE_API_PREFIX}/`)) return problem(404, 'NotFound', `no console API route ${event.rawPath}`);
  const config = getConfig();
  // The preview signs unsubscribe links with the campaign key (Secrets Manager, once per container).
  await loadSecrets();
  const response = await handleApi(
    { dataDir: '/tmp', tableName: config.TABLE_NAME, campaignsDir: config.CAMPAIGNS_DIR, now: () => new Date() },
    {
      method: event.requestContext.http.method,
      rest: event.rawPath.slice(CONSOLE_API_PREFIX.length),
      query: event.queryStringParameters ?? {},
      principal,
    },
  );
  logger.info('console request', { routeKey: event.routeKey, status: response.statusCode, canWrite: principal.canWrite });
  return response;
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(consoleApi);
