import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { localClientConfig, type QueueRef } from './emulators.js';
import { BodyTooLargeError, DrainTimeoutError, PortInUseError } from './errors.js';
import {
  API_GATEWAY_MAX_BODY_BYTES,
  fromHandlerResult,
  gatewayError,
  jsonResponse,
  newApiRequestId,
  readBody,
  toHttpApiEvent,
  writeResponse,
} from './http-events.js';
import { createLambdaContext } from './lambda-context.js';
import { isPreflight, preflightResponse, withCorsHeaders, type CorsSettings } from './cors.js';
import { refuseForeignHost } from './loopback-guard.js';
import { errorName, sleep, SqsEventSource, type Log, type SqsHandler } from './sqs-event-source.js';

/**
 * The AWS glue of the local stack: what API Gateway and Lambda's SQS event source mappings do in
 * production, done in-process around the very same handler functions.
 *  - HTTP: node:http -> API Gateway HTTP API v2 event -> handler -> HTTP response.
 *  - SQS: pollers -> SQSEvent -> handler -> DeleteMessageBatch of what succeeded.
 */

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2 | void | undefined>;

export interface HttpRouteOptions {
  /** Lambda function name shown in the context (and logs). */
  readonly functionName?: string;
  /** Lambda timeout, as seen through context.getRemainingTimeInMillis(). Default 30 s. */
  readonly timeoutSeconds?: number;
  /** API Gateway's CORS configuration for the route (preflights answered, headers added); none by default. */
  readonly cors?: CorsSettings;
}

export interface QueueConsumerOptions extends HttpRouteOptions {
  readonly queue: QueueRef;
  readonly handler: SqsHandler;
  readonly functionName: string;
  readonly batchSize?: number;
  readonly concurrency?: number;
  readonly waitTimeSeconds?: number;
}

export interface DrainOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  readonly pollIntervalMs?: number;
}

export interface LocalRuntimeOptions {
  /** fauxqs endpoint for the runtime's own SQS client (receive/delete/queue depth). */
  readonly sqsEndpoint: string;
  readonly log?: Log;
  /** Pollers per queue unless a consumer says otherwise. */
  readonly pollersPerQueue?: number;
  readonly maxBodyBytes?: number;
}

interface Route {
  readonly method: string;
  readonly prefix: string;
  readonly handler: HttpHandler;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  readonly cors?: CorsSettings;
}

const ANY_METHOD = '*';
const HEALTH_PATH = '/healthz';

export class LocalRuntime {
  private readonly sqs: SQSClient;
  private readonly log: Log;
  private readonly pollersPerQueue: number;
  private readonly maxBodyBytes: number;
  private readonly routes: Route[] = [];
  private defaultRoute: Route | undefined;
  private readonly consumers: SqsEventSource[] = [];
  private server: http.Server | undefined;
  private inFlightRequests = 0;
  private readonly startedAt = new Date();
  private listenUrl: string | undefined;

  constructor(opts: LocalRuntimeOptions) {
    this.sqs = new SQSClient(localClientConfig(opts.sqsEndpoint));
    this.log = opts.log ?? (() => undefined);
    this.pollersPerQueue = opts.pollersPerQueue ?? 2;
    this.maxBodyBytes = opts.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
  }

  /** Base URL of the HTTP server, once listening. */
  get url(): string {
    if (!this.listenUrl) throw new Error('the runtime is not listening yet');
    return this.listenUrl;
  }

  /**
   * Routes requests whose path is `pathPrefix` or below it (segment-wise: `/console` matches
   * `/console` and `/console/x`, not `/consoles`) to `handler`. The longest prefix wins; method
   * `*` matches any method. Requests no route matches go to the default route.
   */
  addRoute(method: string, pathPrefix: string, handler: HttpHandler, opts: HttpRouteOptions = {}): void {
    const prefix = pathPrefix === '/' ? '/' : pathPrefix.replace(/\/+$/, '');
    if (!prefix.startsWith('/')) throw new TypeError(`route prefix must start with '/': ${pathPrefix}`);
    if (prefix === HEALTH_PATH) throw new TypeError(`${HEALTH_PATH} is answered by the runtime itself`);
    this.routes.push(this.route(method.toUpperCase(), prefix, handler, opts));
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  setDefaultRoute(handler: HttpHandler, opts: HttpRouteOptions = {}): void {
    this.defaultRoute = this.route(ANY_METHOD, '/', handler, opts);
  }

  /** Wires a queue to a handler, like an event source mapping; polling starts at once. */
  addQueueConsumer(opts: QueueConsumerOptions): SqsEventSource {
    const source = new SqsEventSource(
      this.sqs,
      {
        queue: opts.queue,
        handler: opts.handler,
        functionName: opts.functionName,
        ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
        concurrency: opts.concurrency ?? this.pollersPerQueue,
        ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
        ...(opts.waitTimeSeconds !== undefined ? { waitTimeSeconds: opts.waitTimeSeconds } : {}),
      },
      this.log,
    );
    this.consumers.push(source);
    source.start();
    return source;
  }

  /** Stops one consumer (its in-flight batch finishes) and forgets it. */
  async removeQueueConsumer(source: SqsEventSource): Promise<void> {
    const i = this.consumers.indexOf(source);
    if (i !== -1) this.consumers.splice(i, 1);
    await source.stop();
  }

  listConsumers(): ReadonlyArray<{ queueName: string; functionName: string }> {
    return this.consumers.map((c) => ({ queueName: c.queue.name, functionName: c.functionName }));
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    // Keep-alive clients (SDKs, benchmarks) reuse sockets; long enough not to race their reuse.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: err }) : err),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.listenUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.listenUrl;
  }

  /**
   * Resolves once every consumed queue is empty (visible, in flight and delayed messages all 0),
   * no batch is in a handler and no HTTP request is being handled, seen twice in a row so that a
   * message enqueued by a finishing handler is not missed. Dead-letter queues are not consumed
   * and do not count.
   */
  async drain(opts: DrainOptions = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const interval = opts.pollIntervalMs ?? 50;
    const deadline = Date.now() + timeoutMs;
    let idleStreak = 0;
    for (;;) {
      const busyBefore = this.busy();
      const messages = await this.queuedMessages();
      const busyAfter = this.busy();
      const idle = messages === 0 && busyBefore.batches + busyBefore.requests + busyAfter.batches + busyAfter.requests === 0;
      idleStreak = idle ? idleStreak + 1 : 0;
      if (idleStreak >= 2) return;
      if (Date.now() >= deadline) {
        throw new DrainTimeoutError(timeoutMs, {
          messages,
          inFlightBatches: busyAfter.batches,
          inFlightRequests: busyAfter.requests,
        });
      }
      await sleep(interval);
    }
  }

  /**
   * Stops accepting HTTP requests (in-flight ones finish), drains the queues for up to
   * `drainTimeoutMs` (what is still queued then stays in the queue journal and is processed after
   * the next start), then stops the pollers after their in-flight batches finish.
   */
  async stop(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    const drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
    if (drainTimeoutMs > 0 && this.consumers.length > 0) {
      try {
        await this.drain({ timeoutMs: drainTimeoutMs });
      } catch (err) {
        // Stopping goes on regardless: what is not processed stays in the queue journal.
        const why = err instanceof DrainTimeoutError ? err.message : `drain failed (${errorName(err)})`;
        this.log(`stop: ${why}; unprocessed messages stay in the queue journal for the next start`);
      }
    }
    await Promise.all(this.consumers.splice(0).map((c) => c.stop()));
    this.sqs.destroy();
  }

  private busy(): { batches: number; requests: number } {
    return {
      batches: this.consumers.reduce((n, c) => n + c.inFlightBatches, 0),
      requests: this.inFlightRequests,
    };
  }

  private async queuedMessages(): Promise<number> {
    const counts = await Promise.all(this.consumers.map((c) => queueDepth(this.sqs, c.queue.url)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private route(method: string, prefix: string, handler: HttpHandler, opts: HttpRouteOptions): Route {
    return {
      method,
      prefix,
      handler,
      functionName: opts.functionName ?? `local${prefix === '/' ? '' : prefix.replaceAll('/', '-')}`,
      timeoutSeconds: opts.timeoutSeconds ?? 30,
      ...(opts.cors ? { cors: opts.cors } : {}),
    };
  }

  private match(method: string, path: string): Route | undefined {
    for (const r of this.routes) {
      const under = path === r.prefix || path.startsWith(r.prefix === '/' ? '/' : `${r.prefix}/`);
      if (under && (r.method === ANY_METHOD || r.method === method)) return r;
    }
    return this.defaultRoute;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refuseForeignHost(req, res)) return;
    // Stopping: keep-alive clients that send request after request would hold the server open.
    if (!this.server) res.setHeader('connection', 'close');
    const requestId = newApiRequestId();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = {
        ok: true,
        pid: process.pid,
        startedAt: this.startedAt.toISOString(),
        consumers: this.listConsumers(),
        inFlight: this.busy(),
      };
      writeResponse(res, jsonResponse(200, body), requestId);
      return;
    }
    const route = this.match((req.method ?? 'GET').toUpperCase(), path);
    if (!route) {
      writeResponse(res, gatewayError(404, 'Not Found'), requestId);
      return;
    }
    if (route.cors && isPreflight((req.method ?? '').toUpperCase(), req.headers)) {
      req.resume();
      writeResponse(res, preflightResponse(route.cors, req.headers), requestId);
      return;
    }
    this.inFlightRequests++;
    try {
      let body: Buffer;
      try {
        body = await readBody(req, this.maxBodyBytes);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) throw err;
        // The rest of the upload is not read; closing the connection is what API Gateway does too.
        res.setHeader('connection', 'close');
        const tooLarge = gatewayError(413, 'Request Entity Too Large');
        writeResponse(res, route.cors ? withCorsHeaders(route.cors, req.headers, tooLarge) : tooLarge, requestId);
        return;
      }
      const event = toHttpApiEvent({ req, body, requestId });
      const context = createLambdaContext({ functionName: route.functionName, timeoutSeconds: route.timeoutSeconds });
      let response;
      try {
        response = fromHandlerResult(await route.handler(event, context));
      } catch (err) {
        // API Gateway's answer to a failed integration; the server keeps serving.
        this.log(`${route.functionName}: handler failed (${errorName(err)}), request ${requestId}`);
        response = gatewayError(500, 'Internal Server Error');
      }
      writeResponse(res, route.cors ? withCorsHeaders(route.cors, req.headers, response) : response, requestId);
    } catch (err) {
      this.log(`http: request ${requestId} failed (${errorName(err)})`);
      if (!res.headersSent) writeResponse(res, gatewayError(500, 'Internal Server Error'), requestId);
      else res.destroy();
    } finally {
      this.inFlightRequests--;
    }
  }
}

/** Messages in a queue: visible + in flight + delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
