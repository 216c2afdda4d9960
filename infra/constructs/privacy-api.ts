import { Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../function-environment.js';
import { functionEntry } from '../paths.js';
import { EVENT_WRITER_ACTIONS, type EventStore } from './event-store.js';
import type { IngestApi } from './ingest-api.js';
import type { ModelRegistry } from './model-registry.js';
import type { UnsubscribeSecret } from './unsubscribe-secret.js';
import { WinbackFunction } from './winback-function.js';

/**
 * Erasure and access requests (functions/erasure-http.ts): POST /v1/erasure and
 * POST /v1/erasure/export on the ingest API, each behind API Gateway's IAM authorizer, so only a
 * SigV4-signed request from a principal allowed `execute-api:Invoke` on these routes reaches the
 * function (grant it to an operator's role with `grantInvoke`). The write key, public by design,
 * opens nothing here. Erasure reads the table with a Scan (functions/store/erasure.ts) and derives
 * its keyed-hash key from the unsubscribe secret; the event processor gets the same rights,
 * because it carries out Shopify's customers/redact and shop/redact when they arrive. Both may also
 * rewrite the score snapshots and the jobs' objects in the model bucket (ModelRegistry.grantErasure).
 */
export const PRIVACY_PATHS = ['/v1/erasure', '/v1/erasure/export'] as const;
export const PRIVACY_ACTIONS = [...EVENT_WRITER_ACTIONS, 'dynamodb:Scan'] as const;

export interface PrivacyApiProps {
  readonly eventStore: EventStore;
  readonly api: IngestApi;
  readonly secret: UnsubscribeSecret;
  /** The model bucket: erasure also removes the customer from score snapshots and the jobs' objects. */
  readonly registry?: ModelRegistry;
  readonly environment?: FunctionEnvironment;
}

export class PrivacyApi extends Construct {
  public readonly handler: WinbackFunction;
  public readonly routes: apigwv2.HttpRoute[];

  constructor(scope: Construct, id: string, props: PrivacyApiProps) {
    super(scope, id);
    this.handler = new WinbackFunction(this, 'Handler', {
      entry: functionEntry('erasure-http'),
      serviceName: 'erasure-http',
      description: 'Erasure and access requests (IAM-authorized): everything held about a customer, removed or listed',
      environment: { ...props.environment, ...props.secret.environment },
    });
    grantPrivacy(props.eventStore, props.secret, this.handler, true);
    // The processor erases on Shopify's redact webhooks: the same rights and the key's secret.
    const processor = props.api.processor.handler;
    // Its index acknowledgement is made by grantEventWriter already.
    grantPrivacy(props.eventStore, props.secret, processor, false);
    for (const [name, value] of Object.entries(props.secret.environment)) processor.function.addEnvironment(name, value);
    if (props.registry) {
      for (const fn of [this.handler, processor]) {
        for (const [name, value] of Object.entries(props.registry.grantErasure(fn))) fn.function.addEnvironment(name, value);
      }
    }

    const integration = new HttpLambdaIntegration('Privacy', this.handler.function, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    this.routes = PRIVACY_PATHS.map(
      (path, i) =>
        new apigwv2.HttpRoute(this, `Route${i}`, {
          httpApi: props.api.api,
          routeKey: apigwv2.HttpRouteKey.with(path, apigwv2.HttpMethod.POST),
          integration,
          authorizer: new HttpIamAuthorizer(),
        }),
    );
  }

  /** Lets `grantee` (an operator's or a tool's role) call the privacy routes. */
  public grantInvoke(grantee: iam.IGrantable): void {
    for (const route of this.routes) route.grantInvoke(grantee);
  }
}

function grantPrivacy(store: EventStore, secret: UnsubscribeSecret, grantee: WinbackFunction, acknowledgeIndexes: boolean): void {
  iam.Grant.addToPrincipal({ grantee, actions: [...PRIVACY_ACTIONS], resourceArns: [store.table.tableArn, `${store.table.tableArn}/index/*`] });
  store.table.encryptionKey?.grantEncryptDecrypt(grantee);
  secret.grantRead(grantee);
  if (!acknowledgeIndexes) return;
  const tableLogicalId = Stack.of(store).getLogicalId(store.table.node.defaultChild as dynamodb.CfnTable);
  Validations.of(grantee).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
    reason: 'Query on the table\'s own secondary indexes while collecting a customer\'s records; the wildcard stays inside this table\'s ARN.',
  });
}
