import { Duration, Lazy, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InfraConfigError } from '../errors.js';
import { functionEntry } from '../paths.js';
import { INGEST_CORS, INGEST_TIMEOUT_SECONDS, QUEUES } from '../../kernel/settings.js';
import type { EventStore } from './event-store.js';
import { QueueProcessor, type ProcessorSettings } from './queue-processor.js';
import { ShopifyWebhookSecret } from './shopify-webhook-secret.js';
import { WinbackFunction } from './winback-function.js';

export interface ApiRoute {
  readonly method: apigwv2.HttpMethod;
  readonly path: string;
}

/**
 * The Segment-compatible routes (plus SNS, orders and Shopify's webhooks); anything else reaches
 * `$default`, the same Lambda, which also answers Segment's other paths (/v1/screen, /v1/group,
 * /v1/alias, /v1/import, analytics.js's /v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a and /v1/b) and a
 * JSON 404 for unknown ones. (A route of their own each would add two resources per path.)
 */
export const INGEST_ROUTES: readonly ApiRoute[] = [
  { method: apigwv2.HttpMethod.POST, path: '/v1/batch' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/track' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/identify' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/page' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/orders' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/email-events' },
  { method: apigwv2.HttpMethod.POST, path: '/webhooks/shopify' },
  { method: apigwv2.HttpMethod.GET, path: '/healthz' },
];

/**
 * Access log fields. No source IP and no user agent: both are personal data, and the log group
 * is readable by more people than the event store. `requestId` ties a line to the Lambda's logs.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    errorMessage: '$context.error.message',
  }),
);

export interface IngestApiThrottle {
  /** Steady-state requests per second across the stage. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the steady rate. */
  readonly burstLimit: number;
}

export interface FunctionRoutesOptions {
  /** The routes (method and path) to send to the function. */
  readonly routes: readonly ApiRoute[];
  /** The function answering them (payload format 2.0). */
  readonly handler: lambda.IFunction;
  /**
   * A throttle of their own (route-level settings of the stage), for routes whose traffic has
   * nothing to do with ingestion's.
   * @default - the stage-wide throttle
   */
  readonly throttle?: IngestApiThrottle;
}

export interface IngestApiProps extends ProcessorSettings {
  /** The table the event processor writes (every function also gets TABLE_NAME). */
  readonly eventStore: EventStore;
  /** SES events posted to POST /v1/email-events (an SNS HTTPS subscription) are queued here. */
  readonly emailEventsQueue: sqs.IQueue;
  /** The SES event topic: the only topic whose notifications /v1/email-events accepts. */
  readonly emailTopic: sns.ITopic;
  /** WRITE_KEYS: a JSON object of write key -> source name (may be a CloudFormation expression). */
  readonly writeKeysJson: string;
  /**
   * Stage-wide throttling: a flood is answered with 429 by API Gateway, before it costs Lambda time.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly throttle?: IngestApiThrottle;
  /**
   * Origins browsers may post from (analytics.js in a shop's pages). The write key, not the
   * origin, authenticates; no credentials (cookies) are ever allowed.
   * @default ['*']
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Per write key, the only origins browsers may use it from (WRITE_KEY_ORIGINS, checked by the
   * ingest Lambda, which answers 403 to others); keys not listed may be used from any origin.
   * @default - every key from any origin
   */
  readonly writeKeyOrigins?: Readonly<Record<string, readonly string[]>>;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * @default 512
   */
  readonly ingestMemorySize?: number;
}

/**
 * The ingestion edge: an HTTP API whose routes go to the ingest Lambda (except those added by
 * `addFunctionRoutes`, such as the unsubscribe pages), which validates and authenticates (write
 * key) each request and queues the events; the events queue (with DLQ) feeds the processor Lambda
 * that writes them to the event store. The ingest function can only send to its two queues and
 * read the Shopify webhook key: it cannot read or write the table.
 */
export class IngestApi extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly ingest: WinbackFunction;
  public readonly processor: QueueProcessor;
  public readonly accessLogs: logs.LogGroup;
  /** The key POST /webhooks/shopify verifies signatures with; its value is put by the user. */
  public readonly shopifySecret: ShopifyWebhookSecret;
  /** Route key -> CloudFormation RouteSettings, filled by addFunctionRoutes. */
  private readonly routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);

    this.processor = new QueueProcessor(this, 'Events', {
      queueName: QUEUES.events,
      deadLetterQueueName: QUEUES.eventsDlq,
      entry: functionEntry('process-events'),
      serviceName: 'process-events',
      description: 'Writes queued web and order events to the event log and profiles',
      eventStore: props.eventStore,
      memorySize: props.processorMemorySize,
      environment: props.environment,
      deadLetterUrlVariable: 'EVENTS_DLQ_URL',
    });
    const eventsQueue = this.processor.queues.queue;

    this.shopifySecret = new ShopifyWebhookSecret(this, 'ShopifyWebhookSecret');
    this.ingest = new WinbackFunction(this, 'Ingest', {
      entry: functionEntry('ingest-http'),
      serviceName: 'ingest-http',
      description: 'Validates Segment, order, Shopify and SES events at the edge and queues them',
      timeout: Duration.seconds(INGEST_TIMEOUT_SECONDS),
      memorySize: props.ingestMemorySize,
      environment: {
        ...props.environment,
        EVENTS_QUEUE_URL: eventsQueue.queueUrl,
        EMAIL_EVENTS_QUEUE_URL: props.emailEventsQueue.queueUrl,
        WRITE_KEYS: props.writeKeysJson,
        ...(props.writeKeyOrigins ? { WRITE_KEY_ORIGINS: JSON.stringify(props.writeKeyOrigins) } : {}),
        VERIFY_SNS_SIGNATURE: 'true',
        SNS_TOPIC_ARNS: props.emailTopic.topicArn,
        ...this.shopifySecret.environment,
      },
    });
    // SendMessage also authorises SendMessageBatch; the URLs come from the environment, so no
    // GetQueueUrl, and nothing reads attributes, so no GetQueueAttributes (what grantSendMessages adds).
    eventsQueue.grant(this.ingest, 'sqs:SendMessage');
    props.emailEventsQueue.grant(this.ingest, 'sqs:SendMessage');
    this.shopifySecret.grantRead(this.ingest);
    props.eventStore.grantSnsReplayGuard(this.ingest);

    const integration = new HttpLambdaIntegration('Ingest', this.ingest.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: 'winback-ingest',
      description: 'winback event ingestion (Segment-compatible)',
      createDefaultStage: false,
      // The `$default` route: unknown paths and methods still reach the Lambda, which answers JSON.
      defaultIntegration: integration,
      // API Gateway answers preflights itself; per-write-key origins are checked by the Lambda (403).
      corsPreflight: {
        allowOrigins: [...(props.allowedOrigins ?? ['*'])],
        allowMethods: INGEST_CORS.allowMethods.map((m) => apigwv2.CorsHttpMethod[m]),
        allowHeaders: [...INGEST_CORS.allowHeaders],
        exposeHeaders: [...INGEST_CORS.exposeHeaders],
        allowCredentials: false,
        maxAge: Duration.seconds(INGEST_CORS.maxAgeSeconds),
      },
    });
    for (const route of INGEST_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [route.method], integration });
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const throttle = props.throttle ?? { rateLimit: 1000, burstLimit: 2000 };
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
    // The L2 stage has no route-level settings; the L1 property takes them, keyed by route key.
    (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = Lazy.any({
      produce: () => (Object.keys(this.routeSettings).length > 0 ? this.routeSettings : undefined),
    });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The Segment protocol authenticates each request by its write key (HTTP Basic or body.writeKey), checked by the ingest Lambda against WRITE_KEYS; /v1/email-events is authenticated by the SNS message signature and topic ARN; /webhooks/shopify by the HMAC-SHA256 of the body Shopify sends (X-Shopify-Hmac-Sha256, the app secret in Secrets Manager); /healthz is public by design. An API Gateway authorizer cannot read a key from the body. /unsubscribe and /preferences are authenticated by the HMAC-signed token in the link, checked by their Lambda: RFC 8058 one-click unsubscribe must work without login or cookies.',
    });
  }

  /**
   * Sends routes to another function, with no authorizer: that function authenticates each
   * request itself. Each route gets its own Lambda permission (scoped to the route), and with
   * `throttle` its own rate and burst limits instead of the stage's.
   */
  public addFunctionRoutes(id: string, options: FunctionRoutesOptions): apigwv2.HttpRoute[] {
    const throttle = options.throttle;
    if (throttle) {
      for (const [name, value] of Object.entries(throttle)) {
        if (!Token.isUnresolved(value) && (!Number.isFinite(value) || value <= 0)) {
          throw new InfraConfigError(this, `${id}: throttle ${name} must be a positive number, got ${value}`);
        }
      }
    }
    const integration = new HttpLambdaIntegration(id, options.handler, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    const routes = options.routes.flatMap((route) => this.api.addRoutes({ path: route.path, methods: [route.method], integration }));
    if (throttle) {
      for (const route of options.routes) {
        this.routeSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: throttle.rateLimit,
          ThrottlingBurstLimit: throttle.burstLimit,
        };
      }
      // API Gateway rejects settings for a route key that does not exist yet.
      for (const route of routes) this.stage.node.addDependency(route);
    }
    return routes;
  }

  /** Base URL of the API, with a trailing slash. */
  public get url(): string {
    return this.stage.url;
  }
}
