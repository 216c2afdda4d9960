import middy, { type MiddyfiedHandler } from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { ValidationError } from '../../kernel/errors.js';
import { httpErrors } from './http.js';
import { logger } from './logger.js';

/**
 * The one way a Lambda entry point (functions/*.ts) is built: middy, the Powertools logger with
 * the invocation's context, and input parsed by a zod schema before any work sees it. HTTP
 * handlers map named errors to status codes (commons/http.ts); SQS consumers run each record
 * through Powertools' BatchProcessor and answer with partial batch failures.
 */

/** Parses a Lambda event, naming the offending field in a ValidationError. */
export function parseEvent<T extends z.ZodType>(schema: T, event: unknown): z.output<T> {
  const parsed = schema.safeParse(event ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(event)', message: i.message }));
  const first = issues[0];
  throw new ValidationError(`invalid event: ${first?.path}: ${first?.message}`, first?.path, issues);
}

/** A task handler: Lambda calls it with a context; tests and local runners may leave it out. */
export type TaskHandler<R> = MiddyfiedHandler<unknown, R> & ((event: unknown, context?: Context) => Promise<R>);

/**
 * A task (Step Functions, EventBridge Scheduler, a state machine's Lambda step): its event parsed
 * by `schema` (a ValidationError names the field); other errors are thrown with their names, which
 * the state machine's Retry and Catch match on.
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, work: (input: z.output<S>) => Promise<R>): TaskHandler<R> {
  return middy<unknown, R>()
    .use(injectLambdaContext(logger))
    .handler(async (event: unknown) => work(parseEvent(schema, event))) as TaskHandler<R>;
}

/** An API Gateway HTTP API (v2) route: named errors become status codes in one place (commons/http.ts). */
export function httpHandler(
  work: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
): MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger))
    .use(httpErrors())
    .handler(work);
}

/** What an SQS consumer needs of a record; the record handler parses its body. */
const SqsEventSchema = z.object({
  Records: z.array(z.looseObject({ messageId: z.string().min(1), body: z.string() })),
});

/**
 * An SQS consumer: every record through Powertools' BatchProcessor (concurrently); a record whose
 * handler throws is reported as a batch item failure, so SQS redelivers only it (and, after
 * maxReceiveCount, parks it in the DLQ). A batch where every record fails is answered the same
 * way, not thrown.
 */
export function sqsBatchHandler(recordHandler: (record: SQSRecord) => Promise<void>): MiddyfiedHandler<SQSEvent, SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event: SQSEvent, context: Context) => {
      const parsed = parseEvent(SqsEventSchema, event) as unknown as SQSEvent;
      return processPartialResponse(parsed, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    });
}
