import { type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { requireIntegerIn } from '../errors.js';
import { secureQueue } from './redriven-queue.js';
import { DLQ_RETENTION_DAYS } from '../../kernel/settings.js';

export interface JobScheduleProps {
  /** When the job runs (EventBridge Scheduler cron or rate expression; UTC unless the expression says otherwise). */
  readonly schedule: scheduler.ScheduleExpression;
  readonly description: string;
  /** Physical name of the dead-letter queue (kernel/settings.ts JOB_DEAD_LETTER_QUEUES). */
  readonly deadLetterQueueName: string;
  /**
   * Builds the templated target from the role, retry policy and DLQ made here, e.g.
   * `(base) => new targets.LambdaInvoke(fn, { ...base, input })`.
   */
  readonly target: (base: ScheduleTargetBaseProps) => scheduler.IScheduleTarget;
  /**
   * Times Scheduler retries a delivery the target refused (throttling, a service error) before the
   * DLQ; 0-185.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps trying one tick's delivery (60 s - 24 h).
   * @default Duration.hours(1): a tick still undelivered an hour late goes to the DLQ, and the next
   * tick runs as usual
   */
  readonly maxEventAge?: Duration;
  /**
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * An EventBridge Scheduler schedule for a batch job, with what makes it observable when it fails:
 * a retry policy, and a dead-letter queue (SSE-SQS, TLS only, 14 days) for ticks that could not be
 * delivered. Its execution role is made here and trusts Scheduler only for this account's default
 * schedule group (confused-deputy conditions); the target grants it exactly what it invokes.
 * No flexible time window: jobs run at the time written in the expression.
 */
export class JobSchedule extends Construct {
  public readonly schedule: scheduler.Schedule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: JobScheduleProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 3;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    requireIntegerIn(this, 'retryAttempts', retryAttempts, 0, 185);

    this.deadLetterQueue = secureQueue(this, 'DeadLetterQueue', { queueName: props.deadLetterQueueName, retentionPeriod: Duration.days(DLQ_RETENTION_DAYS) });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: of the schedule's undeliverable ticks (Scheduler's DeadLetterConfig) and, where the construct routes them here, of failed asynchronous Lambda runs (an on-failure destination). cdk-nag only recognises DLQs named in another queue's RedrivePolicy; a DLQ of a DLQ would only move the question.",
    });

    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `EventBridge Scheduler role of ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule,
      description: props.description,
      enabled: props.enabled ?? true,
      timeWindow: scheduler.TimeWindow.off(),
      target: props.target({ role: this.role, deadLetterQueue: this.deadLetterQueue, retryAttempts, maxEventAge }),
    });
  }

  /**
   * The Scheduler Lambda target (targets.LambdaInvoke) grants this role lambda:InvokeFunction on
   * the function and on `<function ARN>:*` (its versions and aliases), which cdk-nag flags (IAM5).
   * Call this with the target function to acknowledge that one finding, with its reason.
   */
  public acknowledgeLambdaTarget(fn: lambda.IFunction): void {
    const fnLogicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnResource);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason: `lambda:InvokeFunction on the ${fn.node.path} function's versions and aliases (ARN:*), which the Scheduler Lambda target grants with the function itself; the wildcard stays within that one function.`,
    });
  }
}
