import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EmailFeedback } from './constructs/email-feedback.js';
import { EventStore, type EventStoreProps } from './constructs/event-store.js';
import { IngestApi, type IngestApiThrottle } from './constructs/ingest-api.js';
import { ModelRegistry, type ModelRegistryProps } from './constructs/model-registry.js';
import { Scoring, type ScoringProps } from './constructs/scoring.js';
import { Training, type TrainingProps } from './constructs/training.js';
import { Campaigns } from './constructs/campaigns.js';
import { Console } from './constructs/console.js';
import { UnsubscribePages } from './constructs/unsubscribe-pages.js';
import { PrivacyApi } from './constructs/privacy-api.js';
import { UnsubscribeSecret } from './constructs/unsubscribe-secret.js';
import type { FunctionEnvironment } from './function-environment.js';
import { EVENT_RETENTION_DAYS } from '../kernel/settings.js';
import { resolveWriteKeys, writeKeysFromContext, type WriteKeys } from './write-keys.js';

export interface WinbackStackProps extends StackProps {
  /**
   * Write key -> source name accepted by the ingest API.
   * @default - the CDK context `writeKeys` if set; else one key derived from the stack's unique id,
   * published as the DefaultWriteKey output
   */
  readonly writeKeys?: WriteKeys;
  /**
   * Days events are kept before DynamoDB's TTL expires them.
   * @default EVENT_RETENTION_DAYS (730)
   */
  readonly eventRetentionDays?: number;
  /**
   * @default - see EventStoreProps: generated name, RETAIN, deletion protection, AWS-managed key
   */
  readonly eventStore?: EventStoreProps;
  /**
   * @default - see IngestApiProps.throttle
   */
  readonly apiThrottle?: IngestApiThrottle;
  /**
   * @default ['*']
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * @default - see IngestApiProps.writeKeyOrigins (every key from any origin)
   */
  readonly writeKeyOrigins?: Readonly<Record<string, readonly string[]>>;
  /**
   * @default - see ModelRegistryProps: versioned, SSE-S3, RETAIN, noncurrent versions kept 90 days,
   * access logs to a log bucket of its own
   */
  readonly modelRegistry?: ModelRegistryProps;
  /**
   * Schedule, sizes and retries of the training job.
   * @default - see TrainingProps: weekly (Sun 02:00 UTC), 3008 MB, 15 min
   */
  readonly training?: Omit<TrainingProps, 'eventStore' | 'registry' | 'environment'>;
  /**
   * Schedule, sizes, concurrency and churn threshold of the scoring job.
   * @default - see ScoringProps: daily (04:00 UTC), 8 shards at a time, threshold 0.6
   */
  readonly scoring?: Omit<ScoringProps, 'eventStore' | 'registry' | 'environment'>;
  /**
   * Rate and burst limits of the unsubscribe and preference routes (route-level, below the stage's).
   * @default - see UNSUBSCRIBE_THROTTLE: 50/s, burst 100
   */
  readonly unsubscribeThrottle?: IngestApiThrottle;
}

/**
 * winback. Issue 2, ingestion: web, order and SES events -> HTTP API / SNS -> SQS -> DynamoDB.
 * Issue 3, models: the model registry (S3), weekly training (Scheduler -> Lambda) and daily
 * scoring (Scheduler -> Step Functions -> a Lambda per customer shard).
 * Environment-agnostic (no account/region lookups), so it synthesizes without credentials.
 */
export class WinbackStack extends Stack {
  public readonly eventStore: EventStore;
  public readonly emailFeedback: EmailFeedback;
  public readonly ingestApi: IngestApi;
  public readonly modelRegistry: ModelRegistry;
  public readonly training: Training;
  public readonly scoring: Scoring;
  public readonly campaigns: Campaigns;
  public readonly unsubscribeSecret: UnsubscribeSecret;
  public readonly unsubscribePages: UnsubscribePages;
  public readonly privacyApi: PrivacyApi;
  public readonly console: Console;

  constructor(scope: Construct, id: string, props: WinbackStackProps = {}) {
    super(scope, id, props);

    this.eventStore = new EventStore(this, 'EventStore', props.eventStore);
    const environment: FunctionEnvironment = {
      TABLE_NAME: this.eventStore.tableName,
      EVENT_RETENTION_DAYS: String(props.eventRetentionDays ?? EVENT_RETENTION_DAYS),
    };

    this.emailFeedback = new EmailFeedback(this, 'EmailFeedback', {
      eventStore: this.eventStore,
      environment,
    });

    const writeKeys = resolveWriteKeys(props.writeKeys ?? writeKeysFromContext(this));
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      eventStore: this.eventStore,
      emailEventsQueue: this.emailFeedback.queue,
      emailTopic: this.emailFeedback.topic,
      writeKeysJson: writeKeys.json,
      environment,
      throttle: props.apiThrottle,
      allowedOrigins: props.allowedOrigins,
      writeKeyOrigins: props.writeKeyOrigins,
    });

    this.modelRegistry = new ModelRegistry(this, 'ModelRegistry', props.modelRegistry);
    this.training = new Training(this, 'Training', {
      ...props.training,
      eventStore: this.eventStore,
      registry: this.modelRegistry,
      environment,
    });
    this.scoring = new Scoring(this, 'Scoring', {
      ...props.scoring,
      eventStore: this.eventStore,
      registry: this.modelRegistry,
      environment,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.ingestApi.url, description: 'Base URL of the ingest API' });
    new CfnOutput(this, 'ShopifyWebhookUrl', {
      value: `${this.ingestApi.url}webhooks/shopify`,
      description: 'Shopify webhook URL (README, "Connect Shopify")',
    });
    new CfnOutput(this, 'ShopifyWebhookSecretArn', {
      value: this.ingestApi.shopifySecret.secret.secretArn,
      description: "Put your Shopify app's secret in it: aws secretsmanager put-secret-value --secret-id <this> --secret-string <secret>",
    });
    new CfnOutput(this, 'ConfigurationSetName', {
      value: this.emailFeedback.configurationSet.configurationSetName,
      description: 'SES configuration set to send winback mail with',
    });
    new CfnOutput(this, 'TableName', { value: this.eventStore.tableName });
    new CfnOutput(this, 'EventsQueueUrl', { value: this.ingestApi.processor.queues.queue.queueUrl });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', { value: this.ingestApi.processor.queues.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'EmailEventsQueueUrl', { value: this.emailFeedback.queue.queueUrl });
    new CfnOutput(this, 'EmailEventsDeadLetterQueueUrl', {
      value: this.emailFeedback.processor.queues.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'EmailEventsTopicArn', { value: this.emailFeedback.topic.topicArn });
    new CfnOutput(this, 'ModelRegistryBucketName', { value: this.modelRegistry.bucket.bucketName });
    new CfnOutput(this, 'ModelRegistryUri', {
      value: this.modelRegistry.uri,
      description: 'MODEL_REGISTRY_URI: where model versions and champion pointers are stored',
    });
    new CfnOutput(this, 'TrainingFunctionName', {
      value: this.training.handler.function.functionName,
      description: 'Invoke by hand: aws lambda invoke --invocation-type Event --function-name <this> --payload \'{"targets":["churn"]}\' --cli-binary-format raw-in-base64-out /dev/null',
    });
    new CfnOutput(this, 'TrainingDeadLetterQueueUrl', { value: this.training.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ScoringStateMachineArn', {
      value: this.scoring.stateMachine.stateMachineArn,
      description: 'Start by hand: aws stepfunctions start-execution --state-machine-arn <this> --input \'{}\'',
    });
    new CfnOutput(this, 'ScoringDeadLetterQueueUrl', { value: this.scoring.deadLetterQueue.queueUrl });
    if (writeKeys.defaultKey) {
      new CfnOutput(this, 'DefaultWriteKey', {
        value: writeKeys.defaultKey,
        description: 'Write key of the "web" source (set context writeKeys to choose your own)',
      });
    }

    // Issue 4: the key of unsubscribe links and coupon codes, and the public pages the links open.
    this.unsubscribeSecret = new UnsubscribeSecret(this, 'UnsubscribeSecret');
    this.unsubscribePages = new UnsubscribePages(this, 'UnsubscribePages', {
      eventStore: this.eventStore,
      api: this.ingestApi,
      secret: this.unsubscribeSecret,
      environment,
      throttle: props.unsubscribeThrottle,
    });
    // Issue 12: erasure and access requests, IAM-authorized; the processor carries out Shopify's redacts.
    this.privacyApi = new PrivacyApi(this, 'PrivacyApi', { eventStore: this.eventStore, api: this.ingestApi, secret: this.unsubscribeSecret, registry: this.modelRegistry, environment });
    // Training leaves erased customers out by their tombstones, keyed with the same secret's derived key.
    this.unsubscribeSecret.grantRead(this.training.handler);
    for (const [name, value] of Object.entries(this.unsubscribeSecret.environment)) this.training.handler.function.addEnvironment(name, value);

    // Issue 4: campaign orchestration (journey and fan-out state machines, trigger sweep).
    const senderIdentity: unknown = this.node.tryGetContext('senderIdentity');
    const fromAddress = fromAddressFor(this.node.tryGetContext('fromAddress'), senderIdentity);
    this.campaigns = new Campaigns(this, 'Campaigns', {
      eventStore: this.eventStore,
      registry: this.modelRegistry,
      environment,
      unsubscribeSecret: this.unsubscribeSecret,
      // Links in the mail open the pages above, on this API (a token: the API's id is known at deploy time).
      sendEnvironment: { PUBLIC_BASE_URL: this.ingestApi.url, ...(fromAddress ? { SES_FROM_ADDRESS: fromAddress } : {}) },
      ...(typeof senderIdentity === 'string' && senderIdentity ? { senderIdentity } : {}),
    });
    new CfnOutput(this, 'JourneyStateMachineArn', { value: this.campaigns.journeyStateMachine.stateMachineArn });
    new CfnOutput(this, 'FanoutStateMachineArn', { value: this.campaigns.fanoutStateMachine.stateMachineArn });

    // Issue 12: the console behind Cognito sign-in (CloudFront + S3 pages, its API on API Gateway).
    this.console = new Console(this, 'Console', {
      eventStore: this.eventStore,
      registry: this.modelRegistry,
      unsubscribeSecret: this.unsubscribeSecret,
      environment,
    });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The console (sign in with a user invited into ConsoleUserPoolId)' });
    new CfnOutput(this, 'ConsoleUserPoolId', {
      value: this.console.auth.userPool.userPoolId,
      description: 'Invite a user: aws cognito-idp admin-create-user --user-pool-id <this> --username <email> --user-attributes Name=email,Value=<email> Name=email_verified,Value=true',
    });
  }
}

/**
 * The From address of campaign mail: context `fromAddress`, else the verified identity itself when
 * it is an address, else `winback@<identity>` when it is a domain. Without either, the functions'
 * placeholder stays, and SES refuses to send until an identity is verified and configured.
 */
export function fromAddressFor(fromAddress: unknown, senderIdentity: unknown): string | undefined {
  if (typeof fromAddress === 'string' && fromAddress) return fromAddress;
  if (typeof senderIdentity !== 'string' || !senderIdentity) return undefined;
  return senderIdentity.includes('@') ? senderIdentity : `winback@${senderIdentity}`;
}
