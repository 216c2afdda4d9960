import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedrivenQueue } from '../../infra/constructs/redriven-queue.js';
import {
  CONFIGURATION_SET_NAME,
  DLQ_RETENTION_DAYS,
  MAX_RECEIVE_COUNT,
  PROCESSOR_BATCH_SIZE,
  PROCESSOR_TIMEOUT_SECONDS,
  QUEUES,
} from '../../kernel/settings.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { arnOf, functionsByService, onlyResource, resourcesOfType, type CfnResource } from './template-queries.js';

function queueNamed(synth: Synthesized, name: string): [string, CfnResource] {
  const found = Object.entries(resourcesOfType(synth.template, 'AWS::SQS::Queue')).find(
    ([, q]) => q.Properties?.QueueName === name,
  );
  if (!found) throw new Error(`no queue named ${name}`);
  return found;
}

describe('queues, SNS and SES event publishing', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeTemplate();
  });

  describe.each([
    { queue: QUEUES.events, dlq: QUEUES.eventsDlq, processor: 'process-events' },
    { queue: QUEUES.emailEvents, dlq: QUEUES.emailEventsDlq, processor: 'process-email-events' },
  ])('$queue', ({ queue, dlq, processor }) => {
    it('redrives to its DLQ after at least 5 receives, with visibility >= 6x the processor timeout', () => {
      // Prepare
      const [, q] = queueNamed(synth, queue);
      const [dlqId] = queueNamed(synth, dlq);
      const [, fn] = functionsByService(synth.template)[processor]!;
      // Assess
      expect(q.Properties?.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(dlqId), maxReceiveCount: MAX_RECEIVE_COUNT });
      expect(q.Properties?.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(fn.Properties?.Timeout).toBe(PROCESSOR_TIMEOUT_SECONDS);
      expect(q.Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.Properties?.Timeout as number));
    });

    it('encrypts both queues (SSE-SQS) and keeps dead letters longer than the work queue', () => {
      const [, q] = queueNamed(synth, queue);
      const [, d] = queueNamed(synth, dlq);
      expect(q.Properties?.SqsManagedSseEnabled).toBe(true);
      expect(d.Properties?.SqsManagedSseEnabled).toBe(true);
      expect(d.Properties?.MessageRetentionPeriod).toBe(DLQ_RETENTION_DAYS * 24 * 3600);
      expect(d.Properties?.MessageRetentionPeriod).toBeGreaterThan(q.Properties?.MessageRetentionPeriod as number);
    });

    it('denies non-TLS access to both queues', () => {
      for (const name of [queue, dlq]) {
        const [id] = queueNamed(synth, name);
        synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('feeds its processor in batches with partial batch responses', () => {
      const [queueId] = queueNamed(synth, queue);
      const [fnId] = functionsByService(synth.template)[processor]!;
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(queueId),
        FunctionName: { Ref: fnId },
        BatchSize: PROCESSOR_BATCH_SIZE,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  it('has exactly one event source mapping per processor and none for the ingest function', () => {
    const mappings = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::EventSourceMapping'));
    const fns = functionsByService(synth.template);
    const targets = mappings.map((m) => (m.Properties?.FunctionName as { Ref: string }).Ref).sort();
    expect(targets).toEqual([fns['process-email-events']![0], fns['process-events']![0]].sort());
  });

  it('creates the SES configuration set with reputation metrics, TLS and bounce/complaint suppression', () => {
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: CONFIGURATION_SET_NAME,
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    });
  });

  it('publishes every SES event type to the SNS topic', () => {
    const [topicId] = onlyResource(synth.template, 'AWS::SNS::Topic');
    const [, destination] = onlyResource(synth.template, 'AWS::SES::ConfigurationSetEventDestination');
    const eventDestination = destination.Properties?.EventDestination as Record<string, any>;
    expect(eventDestination.Enabled).toBe(true);
    expect(eventDestination.SnsDestination).toEqual({ TopicARN: { Ref: topicId } });
    expect([...(eventDestination.MatchingEventTypes as string[])].sort()).toEqual(
      ['bounce', 'click', 'complaint', 'delivery', 'deliveryDelay', 'open', 'reject', 'renderingFailure', 'send', 'subscription'],
    );
  });

  it('encrypts the topic with a rotated customer key that SES of this configuration set may use', () => {
    const [keyId, key] = onlyResource(synth.template, 'AWS::KMS::Key');
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(keyId) });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    const sesStatement = (key.Properties?.KeyPolicy.Statement as any[]).find(
      (s) => s.Principal?.Service === 'ses.amazonaws.com',
    );
    expect(sesStatement.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(Object.keys(sesStatement.Condition.StringEquals).sort()).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
  });

  it('lets only SES (this account, this configuration set) publish, and only over TLS', () => {
    const [topicId] = onlyResource(synth.template, 'AWS::SNS::Topic');
    const [, policy] = onlyResource(synth.template, 'AWS::SNS::TopicPolicy');
    const statements = policy.Properties?.PolicyDocument.Statement as any[];
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'ses.amazonaws.com' },
        Resource: { Ref: topicId },
        Condition: { StringEquals: { 'AWS:SourceAccount': { Ref: 'AWS::AccountId' }, 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
  });

  it('subscribes the email-events queue to the topic with the SNS envelope kept (raw delivery off)', () => {
    const [topicId] = onlyResource(synth.template, 'AWS::SNS::Topic');
    const [queueId] = queueNamed(synth, QUEUES.emailEvents);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: topicId },
      Endpoint: arnOf(queueId),
      RawMessageDelivery: false,
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } },
          }),
        ]),
      },
    });
  });
});

describe('RedrivenQueue guards', () => {
  function build(props: Partial<ConstructorParameters<typeof RedrivenQueue>[2]>): () => RedrivenQueue {
    const stack = new Stack(new App(), 'Guard');
    return () =>
      new RedrivenQueue(stack, 'Q', {
        queueName: 'q',
        deadLetterQueueName: 'q-dlq',
        consumerTimeout: Duration.seconds(30),
        ...props,
      });
  }

  it('rejects a visibility timeout shorter than 6x the consumer timeout', () => {
    expect(build({ visibilityTimeout: Duration.seconds(179) })).toThrow(/at least 6x the consumer timeout/);
  });

  it('rejects fewer than 5 receives before the DLQ', () => {
    expect(build({ maxReceiveCount: 3 })).toThrow(/maxReceiveCount must be an integer >= 5/);
  });

  it('rejects a DLQ that would expire messages before the work queue does', () => {
    expect(build({ retentionPeriod: Duration.days(14), deadLetterRetentionPeriod: Duration.days(14) })).toThrow(
      /deadLetterRetentionPeriod must be longer/,
    );
  });
});
