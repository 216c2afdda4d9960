import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AuthenticationError,
  MethodNotAllowedError,
  OriginNotAllowedError,
  PayloadTooLargeError,
  RetryableError,
  ThrottledError,
  RouteNotFoundError,
  ValidationError,
} from '../../kernel/errors.js';
import { logger } from './logger.js';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Maps winback's named errors to HTTP answers; anything unexpected is a logged 500 that never echoes input. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ValidationError) {
    return json(400, { error: error.name, message: error.message, field: error.field, issues: error.issues });
  }
  if (error instanceof AuthenticationError) {
    return json(401, { error: error.name, message: error.message }, { 'www-authenticate': 'Basic realm="winback"' });
  }
  if (error instanceof OriginNotAllowedError) return json(403, { error: error.name, message: error.message });
  if (error instanceof PayloadTooLargeError) return json(413, { error: error.name, message: error.message });
  if (error instanceof RouteNotFoundError) return json(404, { error: error.name, message: error.message });
  if (error instanceof MethodNotAllowedError) return json(405, { error: error.name, message: error.message });
  // Segment's libraries honour Retry-After on a 429 (and back off on a 5xx without reading it).
  if (error instanceof ThrottledError) {
    logger.warn('throttled', { error: error.name, cause: String((error.cause as Error | undefined)?.name) });
    return json(429, { error: error.name, message: error.message }, { 'retry-after': String(error.retryAfterSeconds) });
  }
  if (error instanceof RetryableError) {
    logger.warn('retryable failure', { error: error.name, cause: String((error.cause as Error | undefined)?.name) });
    return json(503, { error: error.name, message: error.message }, { 'retry-after': '1' });
  }
  logger.error('unexpected failure', { error: (error as Error)?.name, message: (error as Error)?.message });
  return json(500, { error: 'InternalError', message: 'internal error' });
}

export const httpErrors = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    request.response = errorResponse(request.error);
  },
});
