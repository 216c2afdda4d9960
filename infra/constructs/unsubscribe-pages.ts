import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry } from '../paths.js';
import type { EventStore } from './event-store.js';
import type { ApiRoute, IngestApi, IngestApiThrottle } from './ingest-api.js';
import type { UnsubscribeSecret } from './unsubscribe-secret.js';
import { WinbackFunction } from './winback-function.js';

/**
 * The pages behind the List-Unsubscribe link and the preference centre (the paths are
 * UNSUBSCRIBE_ROUTES of functions/campaigns/unsubscribe-routes.ts; the infra tests keep them equal).
 * HEAD and other methods fall through to `$default`, like any unknown route.
 */
export const UNSUBSCRIBE_PAGE_ROUTES: readonly ApiRoute[] = [
  { method: apigwv2.HttpMethod.GET, path: '/unsubscribe' },
  { method: apigwv2.HttpMethod.POST, path: '/unsubscribe' },
  { method: apigwv2.HttpMethod.GET, path: '/preferences' },
  { method: apigwv2.HttpMethod.POST, path: '/preferences' },
];

/**
 * Per-route default: people click these links at human pace, and link scanners of mail gateways
 * fetch them at about the send rate (SES_MAX_SEND_RATE, 14/s by default). Far below the ingest
 * stage's 1,000/s, so a flood of forged tokens costs at most this much Lambda and DynamoDB time.
 */
export const UNSUBSCRIBE_THROTTLE: IngestApiThrottle = { rateLimit: 50, burstLimit: 100 };

export interface UnsubscribePagesProps {
  readonly eventStore: EventStore;
  /** The HTTP API the routes are added to (the links point at its URL, PUBLIC_BASE_URL). */
  readonly api: IngestApi;
  /** The HMAC key the tokens are checked with. */
  readonly secret: UnsubscribeSecret;
  /** Variables shared by every function (TABLE_NAME, EVENT_RETENTION_DAYS). */
  readonly environment?: FunctionEnvironment;
  /** @default UNSUBSCRIBE_THROTTLE */
  readonly throttle?: IngestApiThrottle;
}

/**
 * The unsubscribe function on the public routes GET/POST /unsubscribe and GET/POST /preferences.
 * No authorizer: RFC 8058 one-click unsubscribe must work without login or cookies; the signed
 * token in the link is the credential, checked by the function (forged or expired: 403).
 * The function may read the token key and do exactly what the pages do to the table.
 */
export class UnsubscribePages extends Construct {
  public readonly handler: WinbackFunction;

  constructor(scope: Construct, id: string, props: UnsubscribePagesProps) {
    super(scope, id);

    this.handler = new WinbackFunction(this, 'Handler', {
      entry: functionEntry('unsubscribe-http'),
      serviceName: 'unsubscribe-http',
      description: 'Public unsubscribe (RFC 8058 one-click) and preference pages; the signed token is the credential',
      environment: { ...props.environment, ...props.secret.environment },
    });
    props.eventStore.grantUnsubscribeWriter(this.handler);
    props.secret.grantRead(this.handler);

    props.api.addFunctionRoutes('Unsubscribe', {
      routes: UNSUBSCRIBE_PAGE_ROUTES,
      handler: this.handler.function,
      throttle: props.throttle ?? UNSUBSCRIBE_THROTTLE,
    });
  }
}
