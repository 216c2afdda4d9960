import type { IncomingHttpHeaders } from 'node:http';
import { INGEST_CORS } from '../../kernel/settings.js';
import type { HttpResponse } from './http-events.js';

/**
 * What API Gateway's HTTP API CORS configuration does, for the local runtime
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html): it answers
 * preflight OPTIONS requests itself, without calling the integration, adds the configured CORS
 * headers to the integration's answers to requests that name an Origin, and ignores any CORS
 * header the integration returns. The settings are the ones the CDK stack gives API Gateway.
 */
export interface CorsSettings {
  /** Exact origins (`https://shop.example.com`) or `*` for any. */
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly allowMethods: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** The ingest API's settings (kernel/settings.ts), any origin unless told otherwise. */
export function ingestCors(allowOrigins: readonly string[] = ['*']): CorsSettings {
  return { ...INGEST_CORS, allowOrigins };
}

const single = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The Access-Control-Allow-Origin value for this origin, or undefined when it is not allowed. */
function allowOrigin(settings: CorsSettings, origin: string): string | undefined {
  if (settings.allowOrigins.includes('*')) return '*';
  const wanted = origin.toLowerCase();
  return settings.allowOrigins.some((o) => o.toLowerCase() === wanted) ? origin : undefined;
}

export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && single(headers, 'origin') !== undefined && single(headers, 'access-control-request-method') !== undefined;
}

/** The answer to a preflight: 204, with the CORS headers only when the origin is allowed (the browser then refuses). */
export function preflightResponse(settings: CorsSettings, headers: IncomingHttpHeaders): HttpResponse {
  const origin = single(headers, 'origin') ?? '';
  const allowed = allowOrigin(settings, origin);
  const out: Record<string, string> = {};
  if (allowed !== undefined) {
    out['access-control-allow-origin'] = allowed;
    out['access-control-allow-methods'] = settings.allowMethods.join(',');
    out['access-control-allow-headers'] = settings.allowHeaders.join(',');
    out['access-control-max-age'] = String(settings.maxAgeSeconds);
    if (allowed !== '*') out['vary'] = 'Origin';
  }
  return { statusCode: 204, headers: out, body: Buffer.alloc(0) };
}

/** The integration's answer with its CORS headers replaced by the configured ones. */
export function withCorsHeaders(settings: CorsSettings, headers: IncomingHttpHeaders, response: HttpResponse): HttpResponse {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) if (!name.startsWith('access-control-')) out[name] = value;
  const origin = single(headers, 'origin');
  const allowed = origin === undefined ? undefined : allowOrigin(settings, origin);
  if (allowed !== undefined) {
    out['access-control-allow-origin'] = allowed;
    if (settings.exposeHeaders.length > 0) out['access-control-expose-headers'] = settings.exposeHeaders.join(',');
    if (allowed !== '*') out['vary'] = 'Origin';
  }
  return { ...response, headers: out };
}
