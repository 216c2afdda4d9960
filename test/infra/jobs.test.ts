import { App, Duration, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Match } from 'aws-cdk-lib/assertions';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../infra/constructs/event-store.js';
import { JobSchedule } from '../../infra/constructs/job-schedule.js';
import { ModelRegistry } from '../../infra/constructs/model-registry.js';
import { Scoring } from '../../infra/constructs/scoring.js';
import { Training } from '../../infra/constructs/training.js';
import { InfraConfigError } from '../../infra/errors.js';
import { DEFAULT_CHURN_THRESHOLD, JOB_DEAD_LETTER_QUEUES, MODEL_REGISTRY_PREFIX, SCORING_STATES } from '../../kernel/settings.js';
import { TFJS_WASM_RUNTIME_DIR } from '../../infra/tfjs-wasm.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, arnOf, type CfnResource, functionsByService, resourcesOfType, statementsOfFunction, type PolicyStatement } from './template-queries.js';

const LAMBDA_RETRY = {
  ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

type Asl = { StartAt: string; States: Record<string, any>; TimeoutSeconds?: number };

/** A fake, well-formed ARN for a token in the definition, so the ASL can be parsed and validated offline. */
function fakeArn(template: Record<string, CfnResource>, token: unknown): string {
  const getAtt = (token as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  const ref = (token as { Ref?: string }).Ref;
  const id = getAtt?.[0] ?? ref;
  const type = id ? template[id]?.Type : undefined;
  if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
  if (ref === 'AWS::Partition') return 'aws';
  if (ref === 'AWS::Region') return 'eu-west-1';
  if (ref === 'AWS::AccountId') return '123456789012';
  throw new Error(`no fake value for ${JSON.stringify(token)}`);
}

/** The state machine's ASL with its CloudFormation tokens replaced by fake ARNs. */
function definitionOf(synth: Synthesized, stateMachine: CfnResource): Asl {
  const resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
  const body = stateMachine.Properties?.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : fakeArn(resources, p))).join(body['Fn::Join'][0]);
  return JSON.parse(text) as Asl;
}

function scoringStateMachine(synth: Synthesized): [string, CfnResource] {
  const id = synth.stack.getLogicalId(synth.stack.scoring.stateMachine.node.defaultChild as any);
  return [id, resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine')[id]!];
}

function logicalId(synth: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return synth.stack.getLogicalId(construct.node.defaultChild as any);
}

function statementsOfRole(synth: Synthesized, roleId: string): PolicyStatement[] {
  return Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement as PolicyStatement[]);
}

describe('model jobs: registry, training, scoring', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: the template only; bundling is covered by functions.test.ts.
    synth = synthesizeTemplate();
  });

  describe('ModelRegistry (S3)', () => {
    it('is versioned, SSE-S3 encrypted, private, retained, and expires noncurrent versions after 90 days', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const bucket = resourcesOfType(synth.template, 'AWS::S3::Bucket')[id]!;
      expect(bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 }, ExpiredObjectDeleteMarker: true })],
        },
      });
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
    });

    it('denies non-TLS and pre-TLS-1.2 requests', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    });

    it('sends server access logs to its log bucket, which only S3 log delivery for this bucket may write', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const logsId = logicalId(synth, synth.stack.modelRegistry.accessLogsBucket!);
      const bucket = resourcesOfType(synth.template, 'AWS::S3::Bucket')[id]!;
      expect(bucket.Properties?.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'model-registry/' });
      const logs = resourcesOfType(synth.template, 'AWS::S3::Bucket')[logsId]!;
      expect(logs.Properties?.AccessControl).toBeUndefined(); // a bucket policy, not the legacy ACL
      expect(logs.DeletionPolicy).toBe('Retain');
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logsId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: { 'Fn::Join': ['', [arnOf(logsId), '/model-registry/*']] },
              Condition: { ArnLike: { 'aws:SourceArn': arnOf(id) }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ]),
        },
      });
    });

    it('is published as MODEL_REGISTRY_URI (s3://<bucket>/models) to the three job functions, and as outputs', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const uri = { 'Fn::Join': ['', ['s3://', { Ref: id }, `/${MODEL_REGISTRY_PREFIX}`]] };
      const fns = functionsByService(synth.template);
      for (const service of ['train-models', 'prepare-scoring', 'score-shard']) {
        expect(fns[service]![1].Properties?.Environment.Variables.MODEL_REGISTRY_URI, service).toEqual(uri);
      }
      const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs['ModelRegistryBucketName']?.Value).toEqual({ Ref: id });
      expect(outputs['ModelRegistryUri']?.Value).toEqual(uri);
    });
  });

  describe('Training', () => {
    it('runs train-models with 3008 MB for up to 15 minutes, on the bundled TF.js wasm backend', () => {
      const [, fn] = functionsByService(synth.template)['train-models']!;
      expect(fn.Properties?.MemorySize).toBe(3008);
      expect(fn.Properties?.Timeout).toBe(900);
      expect(fn.Properties?.Environment.Variables).toMatchObject({
        TFJS_WASM_DIR: TFJS_WASM_RUNTIME_DIR,
        WINBACK_TF_BACKEND: 'wasm',
        TABLE_NAME: expect.anything(),
      });
      expect(TFJS_WASM_RUNTIME_DIR).toBe('/var/task/wasm');
    });

    it('is invoked weekly by EventBridge Scheduler with a retry policy and a dead-letter queue', () => {
      const [fnId] = functionsByService(synth.template)['train-models']!;
      const dlqId = logicalId(synth, synth.stack.training.deadLetterQueue);
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 2 ? * SUN *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: arnOf(fnId),
          Input: JSON.stringify({ targets: ['churn', 'propensity'] }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: arnOf(dlqId) },
          RoleArn: arnOf(logicalId(synth, synth.stack.training.jobSchedule.role)),
        },
      });
      expect(resourcesOfType(synth.template, 'AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({
        QueueName: JOB_DEAD_LETTER_QUEUES.training,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    });

    it('sends a run that failed after one asynchronous retry to the same dead-letter queue', () => {
      const [fnId] = functionsByService(synth.template)['train-models']!;
      const dlqId = logicalId(synth, synth.stack.training.deadLetterQueue);
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: arnOf(dlqId) } },
      });
    });

    it("lets the schedule's role invoke only train-models and write only to its DLQ, and only Scheduler of this account assume it", () => {
      const [fnId] = functionsByService(synth.template)['train-models']!;
      const roleId = logicalId(synth, synth.stack.training.jobSchedule.role);
      const dlqId = logicalId(synth, synth.stack.training.deadLetterQueue);
      expect(statementsOfRole(synth, roleId)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [arnOf(fnId), { 'Fn::Join': ['', [arnOf(fnId), ':*']] }] },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(dlqId) },
      ]);
      const role = resourcesOfType(synth.template, 'AWS::IAM::Role')[roleId]!;
      expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
            },
          },
        },
      ]);
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain(':schedule-group/default');
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('Scoring (Step Functions)', () => {
    let asl: Asl;
    let stateMachine: CfnResource;
    beforeAll(() => {
      [, stateMachine] = scoringStateMachine(synth);
      asl = definitionOf(synth, stateMachine);
    });

    it('is a Standard state machine with X-Ray tracing and ALL-level logs without execution data', () => {
      const logGroupId = logicalId(synth, synth.stack.scoring.logGroup);
      expect(stateMachine.Properties?.StateMachineType).toBe('STANDARD');
      expect(stateMachine.Properties?.TracingConfiguration).toEqual({ Enabled: true });
      expect(stateMachine.Properties?.LoggingConfiguration).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(logGroupId) } }],
        IncludeExecutionData: false,
        Level: 'ALL',
      });
      expect(resourcesOfType(synth.template, 'AWS::Logs::LogGroup')[logGroupId]?.Properties?.RetentionInDays).toBe(30);
      expect(asl.TimeoutSeconds).toBe(7200);
    });

    it('prepares, maps score-shard over $.shards (8 at a time), then summarises', () => {
      const [prepareId] = functionsByService(synth.template)['prepare-scoring']!;
      const [shardId] = functionsByService(synth.template)['score-shard']!;
      expect(asl.StartAt).toBe(SCORING_STATES.prepare);
      const prepare = asl.States[SCORING_STATES.prepare];
      expect(prepare).toMatchObject({ Type: 'Task', Resource: `arn:aws:lambda:eu-west-1:123456789012:function:${prepareId}`, Next: SCORING_STATES.scoreShards });
      // The function's event is the state's input, its result the state's output (as aws-local-stepfunctions runs it).
      expect(prepare.Parameters).toBeUndefined();
      expect(prepare.OutputPath).toBeUndefined();

      const map = asl.States[SCORING_STATES.scoreShards];
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.shards',
        MaxConcurrency: 8,
        ItemSelector: { 'shard.$': '$$.Map.Item.Value', 'scoredAt.$': '$.scoredAt', 'models.$': '$.models' },
        ResultPath: '$.results',
        Next: SCORING_STATES.summarise,
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: SCORING_STATES.scoreShard },
      });
      const shard = map.ItemProcessor.States[SCORING_STATES.scoreShard];
      expect(shard).toMatchObject({ Type: 'Task', Resource: `arn:aws:lambda:eu-west-1:123456789012:function:${shardId}`, End: true });
      // A task timeout beyond the function's own (900 s): explicit, also for the local emulator (default 60 s).
      expect(shard.TimeoutSeconds).toBe(960);
      expect(asl.States[SCORING_STATES.summarise]).toMatchObject({ Type: 'Pass', End: true });
    });

    it('retries transient Lambda errors on both tasks: 2 s, backoff 2, 6 attempts, full jitter', () => {
      const map = asl.States[SCORING_STATES.scoreShards];
      expect(map.ItemProcessor.States[SCORING_STATES.scoreShard].Retry).toEqual([LAMBDA_RETRY]);
      expect(asl.States[SCORING_STATES.prepare].Retry).toEqual([LAMBDA_RETRY]);
    });

    it('catches any error of the Map (and of PrepareScoring), records it and fails the execution with it', () => {
      const catcher = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: SCORING_STATES.recordFailure }];
      expect(asl.States[SCORING_STATES.scoreShards].Catch).toEqual(catcher);
      expect(asl.States[SCORING_STATES.prepare].Catch).toEqual(catcher);
      expect(asl.States[SCORING_STATES.recordFailure]).toEqual({
        Type: 'Pass',
        Parameters: { 'error.$': '$.error', 'executionInput.$': '$$.Execution.Input', 'executionStartedAt.$': '$$.Execution.StartTime' },
        Next: SCORING_STATES.failed,
      });
      expect(asl.States[SCORING_STATES.failed]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
      // No state ends successfully after a failure: the only other terminal state is Summarise.
      const terminal = Object.entries(asl.States).filter(([, s]) => s.End === true || s.Type === 'Fail' || s.Type === 'Succeed');
      expect(terminal.map(([name]) => name).sort()).toEqual([SCORING_STATES.failed, SCORING_STATES.summarise].sort());
    });

    it('is valid Amazon States Language (asl-validator, with path and ARN checks)', async () => {
      // Prepare: a devDependency without type declarations, imported only here (a variable
      // specifier, so that tsc does not look for its types).
      const specifier = 'asl-validator';
      const { default: aslValidator } = (await import(specifier)) as {
        default: (d: unknown, o?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errors: unknown[] };
      };
      // Act
      const result = aslValidator(asl, { checkPaths: true, checkArn: true });
      // Assess
      expect(result.errors).toEqual([]);
      expect(result.isValid).toBe(true);
      // ...and the validator is not vacuous: a Map whose processor starts nowhere is refused.
      const broken = structuredClone(asl);
      broken.States[SCORING_STATES.scoreShards].ItemProcessor.StartAt = 'Nowhere';
      expect(aslValidator(broken, { checkPaths: true, checkArn: true }).isValid).toBe(false);
    });

    it("grants the state machine's role exactly: invoke its two functions, log delivery and X-Ray", () => {
      const roleId = (stateMachine.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = statementsOfRole(synth, roleId);
      expect(actionsOf(statements)).toEqual(
        [
          'lambda:InvokeFunction',
          'logs:CreateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:DescribeLogGroups',
          'logs:DescribeResourcePolicies',
          'logs:GetLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:UpdateLogDelivery',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      const [prepareId] = functionsByService(synth.template)['prepare-scoring']!;
      const [shardId] = functionsByService(synth.template)['score-shard']!;
      const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
      expect(invoke.Resource).toEqual(
        expect.arrayContaining([arnOf(prepareId), arnOf(shardId), { 'Fn::Join': ['', [arnOf(prepareId), ':*']] }, { 'Fn::Join': ['', [arnOf(shardId), ':*']] }]),
      );
      expect(invoke.Resource).toHaveLength(4);
      expect(statements.filter((s) => s.Resource === '*').every((s) => actionsOf([s]).every((a) => a.startsWith('logs:') || a.startsWith('xray:')))).toBe(true);
    });

    it('is started daily by EventBridge Scheduler with the tick time as scoredAt, a retry policy and a DLQ', () => {
      const [smId] = scoringStateMachine(synth);
      const dlqId = logicalId(synth, synth.stack.scoring.deadLetterQueue);
      const roleId = logicalId(synth, synth.stack.scoring.jobSchedule.role);
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 4 * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { Ref: smId },
          Input: JSON.stringify({ scoredAt: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: arnOf(dlqId) },
          RoleArn: arnOf(roleId),
        },
      });
      expect(statementsOfRole(synth, roleId)).toEqual([
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: smId } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(dlqId) },
      ]);
      const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs['ScoringStateMachineArn']?.Value).toEqual({ Ref: smId });
    });

    it('gives prepare-scoring and score-shard the churn threshold, score-shard 2048 MB, 15 min and the wasm binaries', () => {
      const fns = functionsByService(synth.template);
      for (const service of ['prepare-scoring', 'score-shard']) {
        expect(fns[service]![1].Properties?.Environment.Variables.CHURN_THRESHOLD).toBe(String(DEFAULT_CHURN_THRESHOLD));
      }
      const shard = fns['score-shard']![1];
      expect(shard.Properties?.MemorySize).toBe(2048);
      expect(shard.Properties?.Timeout).toBe(900);
      expect(shard.Properties?.Environment.Variables).toMatchObject({ TFJS_WASM_DIR: TFJS_WASM_RUNTIME_DIR, WINBACK_TF_BACKEND: 'wasm' });
      expect(fns['prepare-scoring']![1].Properties?.Environment.Variables.TFJS_WASM_DIR).toBeUndefined();
    });
  });

  describe('Scoring ASL run by aws-local-stepfunctions (the local stack\'s engine), with stub tasks', () => {
    const models = { churn: 'churn-v1', propensity: 'propensity-v1', clv: 'clv-v1' };
    const scoredAt = '2026-01-05T04:00:00Z';
    let definition: Asl;
    beforeAll(() => {
      definition = definitionOf(synth, scoringStateMachine(synth)[1]);
      // aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); the project supports Node 20
      // (scripts/local/stepfunctions.ts installs the same polyfill for the local stack).
      const promise = Promise as unknown as { withResolvers?: () => unknown };
      promise.withResolvers ??= () => {
        let resolve: unknown;
        let reject: unknown;
        const p = new Promise((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise: p, resolve, reject };
      };
    });

    function run(scoreShard: (input: any) => Promise<any>) {
      const machine = new StateMachine(definition as any, { validationOptions: { checkArn: true, checkPaths: true } });
      return machine.run(
        { scoredAt },
        {
          overrides: {
            taskResourceLocalHandlers: {
              [SCORING_STATES.prepare]: async (input: any) => ({ scoredAt: input.scoredAt, shards: [0, 1, 2], models }),
              [SCORING_STATES.scoreShard]: scoreShard,
            },
            retryIntervalOverrides: { [SCORING_STATES.scoreShard]: 0, [SCORING_STATES.prepare]: 0 },
          },
        },
      ).result;
    }

    it('hands every shard { shard, scoredAt, models } and summarises their results', async () => {
      // Prepare
      const seen: unknown[] = [];
      // Act
      const output = await run(async (input) => {
        seen.push(input);
        return { shard: input.shard, scored: 10 + input.shard, crossings: input.shard };
      });
      // Assess
      expect(seen).toEqual(expect.arrayContaining([0, 1, 2].map((shard) => ({ shard, scoredAt, models }))));
      expect(seen).toHaveLength(3);
      expect(output).toEqual({
        scoredAt,
        models,
        shardCount: 3,
        shards: [0, 1, 2].map((shard) => ({ shard, scored: 10 + shard, crossings: shard })),
      });
    });

    it('retries a throttled shard and succeeds', async () => {
      let calls = 0;
      const output = (await run(async (input) => {
        if (input.shard === 1 && calls++ === 0) throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
        return { shard: input.shard, scored: 1, crossings: 0 };
      })) as { shardCount: number };
      expect(calls).toBe(2);
      expect(output.shardCount).toBe(3);
    });

    it('fails the execution with the shard\'s own error when a shard fails for good (no retry)', async () => {
      let calls = 0;
      const result = run(async (input) => {
        if (input.shard === 2) {
          calls++;
          throw Object.assign(new Error('model churn-v1 not found'), { name: 'ModelNotFoundError' });
        }
        return { shard: input.shard, scored: 1, crossings: 0 };
      });
      // Assess: ScoringFailed's ErrorPath / CausePath carry the shard's error name and message.
      const error = await result.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutionError);
      expect((error as ExecutionError).cause).toMatchObject({ name: 'ModelNotFoundError', message: 'model churn-v1 not found' });
      expect(calls).toBe(1);
    });
  });

  describe('registry and table access of the job functions', () => {
    it('reads and writes only below models/ (no delete), and lists only the registry bucket', () => {
      const bucketId = logicalId(synth, synth.stack.modelRegistry.bucket);
      const objects = { 'Fn::Join': ['', [arnOf(bucketId), `/${MODEL_REGISTRY_PREFIX}/*`]] };
      const expected: Record<string, string[]> = {
        'train-models': ['s3:GetObject', 's3:PutObject'],
        'prepare-scoring': ['s3:GetObject'],
        'score-shard': ['s3:GetObject'],
      };
      for (const [service, objectActions] of Object.entries(expected)) {
        const [, fn] = functionsByService(synth.template)[service]!;
        const s3 = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
        expect(s3, service).toEqual([
          { Effect: 'Allow', Action: objectActions.length === 1 ? objectActions[0] : objectActions, Resource: objects },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: arnOf(bucketId) },
        ]);
      }
    });
  });

  it('outputs the registry, the training function, the state machine and both job DLQs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs['TrainingFunctionName']?.Value).toEqual({ Ref: functionsByService(synth.template)['train-models']![0] });
    expect(outputs['TrainingDeadLetterQueueUrl']?.Value).toEqual({ Ref: logicalId(synth, synth.stack.training.deadLetterQueue) });
    expect(outputs['ScoringDeadLetterQueueUrl']?.Value).toEqual({ Ref: logicalId(synth, synth.stack.scoring.deadLetterQueue) });
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ModelRegistryBucketName', 'ModelRegistryUri', 'ScoringStateMachineArn']));
  });

  describe('construct settings', () => {
    function bare(): { stack: Stack; eventStore: EventStore; registry: ModelRegistry } {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
      return { stack, eventStore: new EventStore(stack, 'Store'), registry: new ModelRegistry(stack, 'Registry') };
    }

    it('refuses a churn threshold outside (0, 1) and a Map concurrency outside 1-40', () => {
      for (const bad of [{ churnThreshold: 1 }, { churnThreshold: 0 }, { maxConcurrency: 0 }, { maxConcurrency: 41 }, { maxConcurrency: 2.5 }]) {
        const { stack, eventStore, registry } = bare();
        expect(() => new Scoring(stack, 'Scoring', { eventStore, registry, ...bad }), JSON.stringify(bad)).toThrow(InfraConfigError);
      }
    });

    it('refuses asynchronous retries Lambda does not allow, and a schedule retry count outside 0-185', () => {
      const a = bare();
      expect(() => new Training(a.stack, 'Training', { eventStore: a.eventStore, registry: a.registry, retryAttempts: 3 })).toThrow(InfraConfigError);
      const b = bare();
      expect(
        () =>
          new JobSchedule(b.stack, 'Job', {
            schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
            description: 'x',
            deadLetterQueueName: 'x',
            retryAttempts: 186,
            target: () => {
              throw new Error('not reached');
            },
          }),
      ).toThrow(InfraConfigError);
    });

    it('refuses a noncurrent-version retention that is not a whole number of days', () => {
      const { stack } = bare();
      expect(() => new ModelRegistry(stack, 'R2', { noncurrentVersionRetention: Duration.hours(12) })).toThrow(InfraConfigError);
    });
  });
});
