import { createHmac, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AuthenticationError } from '../../kernel/errors.js';
import { getConfig } from '../commons/config.js';

/**
 * Who may erase or export a customer. Not the write key: that one is public by design (it sits in
 * every page that loads analytics.js).
 *  - In AWS the route has API Gateway's IAM authorizer: the caller signs with SigV4 as an IAM
 *    principal allowed `execute-api:Invoke` on it (an operator's role, a back-office tool's role),
 *    and the request reaches the function only then, with `requestContext.authorizer.iam` set.
 *  - On the local stack (no IAM) the caller presents the admin key, `Authorization: Bearer <key>`,
 *    a key derived from the data dir's secret (config.json, readable by its owner only) with domain
 *    separation: the CLI reads it there, and it is in no page or log.
 */
const ADMIN_KEY_DOMAIN = 'winback-admin-key-v1';

export function localAdminKey(unsubscribeSecret: string): string {
  return `wb_admin_${createHmac('sha256', unsubscribeSecret).update(ADMIN_KEY_DOMAIN).digest('base64url')}`;
}

interface IamContext {
  readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
}

export function authorizeAdmin(event: APIGatewayProxyEventV2): void {
  const iam = (event.requestContext as IamContext | undefined)?.authorizer?.iam;
  if (iam) return;
  const secret = getConfig().UNSUBSCRIBE_SECRET;
  const header = event.headers?.['authorization'] ?? event.headers?.['Authorization'];
  const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  if (secret && presented) {
    const expected = Buffer.from(localAdminKey(secret));
    const given = Buffer.from(presented);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new AuthenticationError('erasure and export need an IAM-signed request (AWS) or the admin key (local stack: Authorization: Bearer <admin key>)');
}
