import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../kernel/errors.js';
import { getConfig } from './commons/config.js';
import { httpHandler } from './commons/handler.js';
import { json } from './commons/http.js';
import { loadSecrets } from './campaigns/secrets.js';
import { authorizeAdmin } from './privacy/admin-auth.js';
import { eraseCustomers } from './privacy/erasure-service.js';
import { exportCustomer } from './privacy/customer-export.js';

/**
 * The privacy API, for operators' tools (and `winback customers erase|export`):
 *  - POST /v1/erasure         {"customerIds": ["..."]} (or {"customerId": "..."}): erases each;
 *    answers per customer the keyed hash and how many records went. Idempotent: again, 0 records.
 *  - POST /v1/erasure/export  {"customerId": "..."}: everything held (GDPR Art. 15), as JSON.
 * Authenticated as an administrator (privacy/admin-auth.ts: IAM in AWS, the admin key locally),
 * never with the public write key.
 */
export const ERASURE_PATH = '/v1/erasure';
export const EXPORT_PATH = '/v1/erasure/export';
const MAX_IDS = 100;

const CustomerId = z.string().min(1).max(1024);
export const ErasureRequest = z
  .object({ customerId: CustomerId.optional(), customerIds: z.array(CustomerId).min(1).max(MAX_IDS).optional() })
  .strict()
  .refine((r) => (r.customerId === undefined) !== (r.customerIds === undefined), { message: 'give customerId or customerIds (one of them)' });
export type ErasureRequest = z.infer<typeof ErasureRequest>;
export const ExportRequest = z.object({ customerId: CustomerId }).strict();
export type ExportRequest = z.infer<typeof ExportRequest>;

function parseBody<T>(schema: z.ZodType<T>, event: APIGatewayProxyEventV2): T {
  let raw: unknown;
  try {
    const text = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError('the body must be JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(`invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, undefined, issues);
  }
  return parsed.data;
}

export function erasureHttp() {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const path = event.rawPath.replace(/\/+$/, '');
    if (path !== ERASURE_PATH && path !== EXPORT_PATH) throw new RouteNotFoundError(`no route ${path}`);
    if (event.requestContext.http.method !== 'POST') throw new MethodNotAllowedError(`${path} takes POST`);
    authorizeAdmin(event);
    await loadSecrets();
    const table = getConfig().TABLE_NAME;
    if (path === EXPORT_PATH) {
      const request = parseBody(ExportRequest, event);
      return json(200, await exportCustomer(table, request.customerId));
    }
    const request = parseBody(ErasureRequest, event);
    const ids = request.customerIds ?? [request.customerId!];
    const outcome = await eraseCustomers(table, ids, { reason: 'api' });
    return json(200, { erased: outcome.results });
  };
}

export const handler = httpHandler(erasureHttp());
