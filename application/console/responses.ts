import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Response helpers of the console's handler. Every response says `no-store`: the console shows
 * the state of the data dir now, and a cached answer after a scoring run would be wrong.
 */
export type ConsoleResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * Pages run only their own scripts and Chart.js, all from this origin. Inline styles are allowed
 * because the email preview (a sandboxed srcdoc iframe, which inherits this policy) is an email:
 * inline styles are how emails are styled. The sandbox gives it no scripts and no origin.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function json(statusCode: number, body: unknown): ConsoleResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE },
    body: JSON.stringify(body),
  };
}

export function problem(statusCode: number, error: string, message: string): ConsoleResponse {
  return json(statusCode, { error, message });
}

export function file(contentType: string, body: Buffer, opts: { html?: boolean } = {}): ConsoleResponse {
  return {
    statusCode: 200,
    headers: {
      'content-type': contentType,
      'x-content-type-options': 'nosniff',
      ...NO_STORE,
      ...(opts.html ? { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' } : {}),
    },
    // Binary-safe through the runtime (API Gateway's convention): the body travels base64-encoded.
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
