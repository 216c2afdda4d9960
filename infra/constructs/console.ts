import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { CONSOLE_API_PREFIX, CONSOLE_API_ROUTES, CONSOLE_PATH } from '../../functions/console/routes.js';
import type { FunctionEnvironment } from '../function-environment.js';
import { PROJECT_ROOT } from '../paths.js';
import { campaignFiles } from './campaigns.js';
import { ConsoleAuth } from './console-auth.js';
import type { EventStore } from './event-store.js';
import type { IngestApiThrottle } from './ingest-api.js';
import type { ModelRegistry } from './model-registry.js';
import type { UnsubscribeSecret } from './unsubscribe-secret.js';
import { WinbackFunction } from './winback-function.js';

/** The console's pages, served as they are (no build step), the same files the local stack serves. */
const PUBLIC_DIR = join(PROJECT_ROOT, 'scripts', 'console', 'public');
/** Chart.js's UMD bundle, which the local stack serves from node_modules at /console/vendor/. */
const CHART_JS_DIST = dirname(createRequire(import.meta.url).resolve('chart.js'));
/** The console API's Lambda: in application/ because it answers with the application layer (see its header). */
const CONSOLE_API_ENTRY = join(PROJECT_ROOT, 'application', 'console', 'lambda.ts');

export interface ConsoleProps {
  readonly eventStore: EventStore;
  readonly registry: ModelRegistry;
  /** The campaign key: the preview renders unsubscribe links as the send function signs them. */
  readonly unsubscribeSecret: UnsubscribeSecret;
  /** Variables shared by every function (TABLE_NAME, ...). */
  readonly environment?: FunctionEnvironment;
  /** @default <project>/campaigns */
  readonly campaignsDir?: string;
  /** @default { rateLimit: 20, burstLimit: 40 }: people clicking through pages */
  readonly throttle?: IngestApiThrottle;
  /** @default see ConsoleAuthProps.domainPrefix */
  readonly domainPrefix?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * The console on AWS, behind sign-in (issue 12):
 *
 *  - one CloudFront distribution is the console's only origin: `/console/*` from a private S3
 *    bucket (Origin Access Control; the bucket is not public), `/console/api/*` from the console's
 *    HTTP API. The page therefore calls its API same-origin, exactly as on the local stack
 *    (no CORS), and config.json, written at deploy, tells it to sign in first;
 *  - a Cognito user pool (ConsoleAuth): users invited by an administrator, MFA required;
 *  - the HTTP API has exactly the routes of CONSOLE_API_ROUTES, each with the Cognito JWT
 *    authorizer; it has no `$default` route, so any other path is API Gateway's 404, and no route
 *    is open. Write routes also need the editors' group, checked by the Lambda from the verified
 *    claims (application/console/lambda.ts);
 *  - the API Lambda reads the table, the model registry and the bundled campaign files, and may
 *    write only the console's pause switch (PutItem on `CAMPAIGN#...` partitions).
 */
export class Console extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly logsBucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly handler: WinbackFunction;
  public readonly auth: ConsoleAuth;
  public readonly routes: apigwv2.HttpRoute[];

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // S3 server access logs under a bucket policy, not the LogDeliveryWrite ACL (as ModelRegistry).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    // CloudFront's standard logs are written with an ACL grant, so this bucket keeps ACLs
    // (BUCKET_OWNER_PREFERRED); S3's own access logs of the site bucket arrive under its policy.
    this.logsBucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This is the destination of the console's CloudFront and S3 access logs. Logging it into itself would log its own log deliveries without end; its writes are the log delivery services alone, and CloudTrail records its management events.",
    });

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      // Only deployable files live here (BucketDeployment puts them back): nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: 'winback-console',
      description: 'winback console API (Cognito sign-in; served through the console CloudFront distribution)',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 20, burstLimit: 40 },
      // Access log fields: no source IP, no user agent, no claims (personal data).
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTimeEpoch',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            authorizerError: '$context.authorizer.error',
            errorMessage: '$context.error.message',
          }),
        ),
      },
    });

    this.distribution = this.createDistribution(stack);

    const callbackUrl = this.url;
    this.auth = new ConsoleAuth(this, 'Auth', { callbackUrl, domainPrefix: props.domainPrefix });

    this.handler = new WinbackFunction(this, 'Handler', {
      entry: CONSOLE_API_ENTRY,
      serviceName: 'console-api',
      description: 'The console API behind Cognito: overview, models, campaigns, customers; pause switch for editors',
      timeout: Duration.seconds(29),
      memorySize: 1024,
      environment: {
        ...props.environment,
        ...props.unsubscribeSecret.environment,
        CAMPAIGNS_DIR: 'campaigns',
        MODEL_REGISTRY_URI: props.registry.uri,
      },
      bundledFiles: campaignFiles(this, props.campaignsDir ?? join(PROJECT_ROOT, 'campaigns')),
    });
    props.eventStore.grantEventReader(this.handler);
    props.registry.grantRead(this.handler);
    props.unsubscribeSecret.grantRead(this.handler);
    // The pause switch (functions/store/campaign-pauses.ts) and nothing else: PutItem only on
    // partitions whose key starts with CAMPAIGN#.
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.eventStore.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CAMPAIGN#*'] } },
      }),
    );
    props.eventStore.table.encryptionKey?.grantEncryptDecrypt(this.handler);

    const authorizer = new HttpUserPoolAuthorizer('Cognito', this.auth.userPool, {
      authorizerName: 'winback-console-cognito',
      userPoolClients: [this.auth.client],
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('ConsoleApi', this.handler.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    this.routes = CONSOLE_API_ROUTES.flatMap((route) =>
      this.api.addRoutes({
        path: `${CONSOLE_API_PREFIX}${route.path}`,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
        authorizer,
      }),
    );

    const deployment = new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      sources: [
        s3deploy.Source.asset(PUBLIC_DIR),
        s3deploy.Source.data('vendor/chart.umd.min.js', readFileSync(join(CHART_JS_DIST, 'chart.umd.min.js'), 'utf8')),
        // What the page reads first: present only here, so on the local stack it stays unsigned.
        s3deploy.Source.jsonData('config.json', {
          auth: 'cognito',
          region: stack.region,
          clientId: this.auth.client.userPoolClientId,
          hostedUiUrl: this.auth.hostedUiUrl,
          redirectUri: callbackUrl,
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/', `${CONSOLE_PATH}/*`],
      memoryLimit: 256,
    });
    acknowledgeBucketDeployment(deployment, this.bucket);
  }

  private createDistribution(stack: Stack): cloudfront.Distribution {
    const apiOrigin = new origins.HttpOrigin(`${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    // The API's answers are per user and `no-store`; Authorization must reach API Gateway, and
    // CloudFront forwards it only as part of the cache key (so a 1-second max TTL, never used:
    // every answer says no-store).
    const apiCachePolicy = new cloudfront.CachePolicy(this, 'ApiCachePolicy', {
      comment: 'winback console API: Authorization forwarded, nothing cached (answers are no-store)',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'winback console pages: the CSP and headers the local stack sends, plus HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // connect-src: the page exchanges its sign-in code for tokens at the Hosted UI's /oauth2/token.
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            `connect-src 'self' https://*.auth.${stack.region}.amazoncognito.com`,
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
          ].join('; '),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'winback console',
      // The page opens at `/` (S3 behind OAC has no directory index; its links are all absolute
      // /console/... paths, as on the local stack).
      defaultRootObject: `${CONSOLE_PATH.slice(1)}/index.html`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
      },
      additionalBehaviors: {
        [`${CONSOLE_API_PREFIX}/*`]: {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: apiCachePolicy,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: securityHeaders,
        },
      },
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        "The distribution uses CloudFront's default *.cloudfront.net certificate, with which CloudFront accepts TLSv1 whatever the security policy (cdk-nag flags every such distribution). A custom domain with an ACM certificate, and with it TLSv1.2_2021 as set here, is the user's choice of domain name; the console's pages and API carry no credential a downgraded connection could leak beyond what the browser's TLS 1.2+ (all current browsers) already protects.",
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'The console is used by the marketing team wherever its members are; sign-in (Cognito, MFA required) is the access control, not geography.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'No WAF web ACL: every API route needs a Cognito token (checked by API Gateway before any code runs), the API stage is throttled, and the static pages are public files with no data. A WAF (about USD 5/month plus rules) can be attached to the distribution by users who want one.',
    });
    return distribution;
  }

  /** The console's URL, `https://<distribution>/`, also the sign-in's redirect URI. */
  public get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }
}

/**
 * BucketDeployment's provider function (one per stack, shared) is CDK's own: its runtime, managed
 * policy and wildcard S3 statements are fixed by aws-cdk-lib, not chosen here. Each finding is
 * acknowledged by its exact id, so a new kind of finding still fails the synth.
 */
function acknowledgeBucketDeployment(deployment: s3deploy.BucketDeployment, bucket: s3.Bucket): void {
  const iam4 = "The role of CDK's BucketDeployment provider carries AWSLambdaBasicExecutionRole (CloudWatch Logs only); aws-cdk-lib creates it and offers no way to replace it.";
  const iam5 =
    "CDK's BucketDeployment provider copies the asset objects into the console bucket, with the statements aws-cdk-lib writes: s3:GetObject*/GetBucket*/List* on the CDK asset bucket, s3:PutObject*/DeleteObject*/Abort* on the console bucket's objects (keys unknown until deploy), and CloudFront's CreateInvalidation/GetInvalidation, which has no resource-level permission (Resource *).";
  const findings: Record<string, string> = {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': iam4,
    'AwsSolutions-L1': "CDK's BucketDeployment provider runs on the runtime aws-cdk-lib pins for it (Python, with the AWS CLI layer), only during deployments.",
  };
  const bucketLogicalId = Stack.of(deployment).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  for (const what of [
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    `Resource::<${bucketLogicalId}.Arn>/*`,
    'Resource::*',
  ]) {
    findings[`AwsSolutions-IAM5[${what}]`] = iam5;
  }
  // The provider is a singleton at the stack's root (shared by every BucketDeployment of the stack).
  const stack = Stack.of(deployment);
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    for (const [id, reason] of Object.entries(findings)) Validations.of(child).acknowledge({ id, reason });
  }
}
