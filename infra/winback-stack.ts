import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EmailFeedback } from './constructs/email-feedback.js';
import { EventStore, type EventStoreProps } from './constructs/event-store.js';
import { IngestApi, type IngestApiThrottle } from './constructs/ingest-api.js';
import type { FunctionEnvironment } from './function-environment.js';
import { EVENT_RETENTION_DAYS } from './settings.js';
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
}

/**
 * winback, issue 2: ingestion. Web, order and SES events -> HTTP API / SNS -> SQS -> DynamoDB.
 * Environment-agnostic (no account/region lookups), so it synthesizes without credentials.
 */
export class WinbackStack extends Stack {
  public readonly eventStore: EventStore;
  public readonly emailFeedback: EmailFeedback;
  public readonly ingestApi: IngestApi;

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
    });

    new CfnOutput(this, 'ApiUrl', { value: this.ingestApi.url, description: 'Base URL of the ingest API' });
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
    if (writeKeys.defaultKey) {
      new CfnOutput(this, 'DefaultWriteKey', {
        value: writeKeys.defaultKey,
        description: 'Write key of the "web" source (set context writeKeys to choose your own)',
      });
    }
  }
}
