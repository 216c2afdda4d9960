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
import { InvalidTokenError } from '../campaigns/errors.js';
import { logger } from './logger.js';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one table from winback's named errors to HTTP status codes: the JSON APIs answer with it
 * (errorResponse) and the HTML pages (unsubscribe, preferences) choose their page's status by it.
 * Undefined: not a caller's mistake nor a known dependency state, so a 500.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof ValidationError) return 400;
  if (error instanceof InvalidTokenError) return error.reason === 'malformed' ? 400 : 403;
  if (error instanceof AuthenticationError) return 401;
  if (error instanceof OriginNotAllowedError) return 403;
  if (error instanceof RouteNotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof ThrottledError) return 429;
  if (error instanceof RetryableError) return 503;
  return undefined;
}

/** Maps winback's named errors to HTTP answers; anything unexpected is a logged 500 that never echoes input. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const status = httpStatusOf(error);
  if (status === undefined) {
    logger.error('unexpected failure', { error: (error as Error)?.name, message: (error as Error)?.message });
    return json(500, { error: 'InternalError', message: 'internal error' });
  }
  const named = error as Error;
  const body = { error: named.name, message: named.message };
  if (error instanceof ValidationError) return json(status, { ...body, field: error.field, issues: error.issues });
  if (error instanceof AuthenticationError) return json(status, body, { 'www-authenticate': 'Basic realm="winback"' });
  // Segment's libraries honour Retry-After on a 429 (and back off on a 5xx without reading it).
  if (error instanceof ThrottledError) {
    logger.warn('throttled', { error: error.name, cause: String((error.cause as Error | undefined)?.name) });
    return json(status, body, { 'retry-after': String(error.retryAfterSeconds) });
  }
  if (error instanceof RetryableError) {
    logger.warn('retryable failure', { error: error.name, cause: String((error.cause as Error | undefined)?.name) });
    return json(status, body, { 'retry-after': '1' });
  }
  return json(status, body);
}

export const httpErrors = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    request.response = errorResponse(request.error);
  },
});
