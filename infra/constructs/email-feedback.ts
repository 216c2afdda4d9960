import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { functionEntry } from '../paths.js';
import { CONFIGURATION_SET_NAME, QUEUES } from '../../kernel/settings.js';
import type { EventStore } from './event-store.js';
import { QueueProcessor, type ProcessorSettings } from './queue-processor.js';

/** Every SES event type: the processor stores them all (opens and clicks feed engagement features). */
export const EMAIL_EVENT_TYPES: readonly ses.EmailSendingEvent[] = [
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.OPEN,
  ses.EmailSendingEvent.CLICK,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
  ses.EmailSendingEvent.RENDERING_FAILURE,
  ses.EmailSendingEvent.SUBSCRIPTION,
];

export interface EmailFeedbackProps extends ProcessorSettings {
  /** Where the email events are written. */
  readonly eventStore: EventStore;
  /**
   * @default CONFIGURATION_SET_NAME ('winback'), which the sending code names on every message
   */
  readonly configurationSetName?: string;
  /**
   * REQUIRE: mail (personal data) is never delivered over plain SMTP; a receiving server without
   * TLS gets a bounce instead. Set OPTIONAL if reaching such servers matters more.
   * @default ses.ConfigurationSetTlsPolicy.REQUIRE
   */
  readonly tlsPolicy?: ses.ConfigurationSetTlsPolicy;
}

/**
 * SES event publishing into the event log: configuration set -> event destination -> SNS topic
 * (KMS-encrypted, TLS only) -> SQS queue with a DLQ (the SNS envelope is kept: raw delivery off, so
 * the consumer can check TopicArn and the signature) -> processor Lambda.
 * Bounces and complaints also land on the account-level suppression list, through the set's
 * suppression options, so a bad address stops receiving mail even before the processor has run.
 */
export class EmailFeedback extends Construct {
  public readonly configurationSet: ses.ConfigurationSet;
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly processor: QueueProcessor;

  constructor(scope: Construct, id: string, props: EmailFeedbackProps) {
    super(scope, id);
    const configurationSetName = props.configurationSetName ?? CONFIGURATION_SET_NAME;
    const stack = Stack.of(this);

    // SNS server-side encryption needs a customer-managed key here: the AWS-managed aws/sns key's
    // policy cannot be changed to let SES publish, and SES must both generate and use data keys.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `Encrypts SES event notifications of configuration set ${configurationSetName}`,
      enableKeyRotation: true,
      // It protects only in-flight notifications: nothing remains to decrypt once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesEventPublishing',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'ses',
              resource: 'configuration-set',
              resourceName: configurationSetName,
            }),
          },
        },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'winback SES events',
      masterKey: this.topicKey,
      enforceSSL: true,
    });

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: props.tlsPolicy ?? ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    // Also adds the topic policy letting SES publish, scoped to this account and configuration set.
    this.configurationSet.addEventDestination('ToTopic', {
      destination: ses.EventDestination.snsTopic(this.topic),
      events: [...EMAIL_EVENT_TYPES],
      enabled: true,
    });

    this.processor = new QueueProcessor(this, 'EmailEvents', {
      queueName: QUEUES.emailEvents,
      deadLetterQueueName: QUEUES.emailEventsDlq,
      entry: functionEntry('process-email-events'),
      serviceName: 'process-email-events',
      description: 'Stores SES email events (SNS notifications via SQS) in the event log',
      eventStore: props.eventStore,
      memorySize: props.processorMemorySize,
      // The shared variables, and the SNS signature check of the notifications.
      environment: {
        ...props.environment,
        VERIFY_SNS_SIGNATURE: 'true',
        SNS_TOPIC_ARNS: this.topic.topicArn,
      },
    });

    this.topic.addSubscription(new SqsSubscription(this.processor.queues.queue, { rawMessageDelivery: false }));
  }

  /** The queue SES events arrive on; the ingest API's POST /v1/email-events also sends to it. */
  public get queue(): QueueProcessor['queues']['queue'] {
    return this.processor.queues.queue;
  }
}
