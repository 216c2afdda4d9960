import { beforeAll, describe, expect, it } from 'vitest';
import { featureBuildDefinition, FEATURE_BUILD_STATES, scoringDefinition } from '../../functions/jobs/distributed-definitions.js';
import { SCORING_STATES } from '../../kernel/settings.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, arnOf, type CfnResource, resourcesOfType, statementsOfFunction, type PolicyStatement } from './template-queries.js';

/**
 * The distributed jobs in the synthesized stack: scoring and the feature build are Step Functions
 * Distributed Maps over an S3 manifest, and their ASL is exactly what functions/jobs/distributed-
 * definitions.ts builds, the JSON the local runner executes (test/local/distributed-scoring.test.ts).
 * The synth itself runs cdk-nag's AwsSolutions checks (test/infra/synth.ts): it throws on a finding.
 */
type Asl = { StartAt: string; States: Record<string, any>; TimeoutSeconds?: number };

const FAKE_BUCKET = 'registry-bucket';

function fake(resources: Record<string, CfnResource>, token: unknown): string {
  const getAtt = (token as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  const ref = (token as { Ref?: string }).Ref;
  const id = getAtt?.[0] ?? ref;
  const type = id ? resources[id]?.Type : undefined;
  if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
  if (type === 'AWS::S3::Bucket') return FAKE_BUCKET;
  throw new Error(`no fake value for ${JSON.stringify(token)}`);
}

function definitionOf(synth: Synthesized, machine: { node: { defaultChild?: unknown } }): { asl: Asl; resource: CfnResource; id: string } {
  const id = synth.stack.getLogicalId(machine.node.defaultChild as any);
  const resource = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine')[id]!;
  const resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
  const body = resource.Properties?.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : fake(resources, p))).join(body['Fn::Join'][0]);
  return { asl: JSON.parse(text) as Asl, resource, id };
}

const fnArn = (synth: Synthesized, fn: { function: { node: { defaultChild?: unknown } } }): string =>
  `arn:aws:lambda:eu-west-1:123456789012:function:${synth.stack.getLogicalId(fn.function.node.defaultChild as any)}`;

function statementsOfRole(synth: Synthesized, roleId: string): PolicyStatement[] {
  return Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement as PolicyStatement[]);
}

describe('distributed jobs (Step Functions Distributed Map over S3)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeTemplate();
  });

  it('scores with a DISTRIBUTED Map: items from the plan\'s S3 manifest, batches of 5 segments, EXPRESS children, 1% tolerated, results to S3', () => {
    const { asl, resource } = definitionOf(synth, synth.stack.scoring.stateMachine);
    expect(resource.Properties?.StateMachineType).toBe('STANDARD');
    expect(resource.Properties?.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    const map = asl.States[SCORING_STATES.scoreShards];
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' } },
      ItemBatcher: { MaxItemsPerBatch: 5, BatchInput: { 'scoredAt.$': '$.scoredAt', 'models.$': '$.models', 'segments.$': '$.segments' } },
      MaxConcurrency: 40,
      ToleratedFailurePercentage: 1,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: SCORING_STATES.scoreShard },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: FAKE_BUCKET, Prefix: 'jobs/scoring-results' } },
      Next: SCORING_STATES.summarise,
    });
    expect(map.ItemProcessor.States[SCORING_STATES.scoreShard]).toMatchObject({ Type: 'Task', Resource: fnArn(synth, synth.stack.scoring.scoreShard), TimeoutSeconds: 960, End: true });
  });

  it('builds the features with a DISTRIBUTED Map over S3, then trains', () => {
    const { asl } = definitionOf(synth, synth.stack.training.stateMachine);
    expect(asl.StartAt).toBe(FEATURE_BUILD_STATES.plan);
    expect(asl.States[FEATURE_BUILD_STATES.build]).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' } },
      ItemBatcher: { MaxItemsPerBatch: 5 },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: FAKE_BUCKET, Prefix: 'jobs/feature-results' } },
      Next: FEATURE_BUILD_STATES.train,
    });
    expect(asl.States[FEATURE_BUILD_STATES.train]).toMatchObject({ Type: 'Task', Resource: fnArn(synth, synth.stack.training.handler), End: true });
  });

  it('deploys exactly the definitions the local runner executes (same builders, deployed ARNs and bucket)', () => {
    const { scoring, training } = synth.stack;
    expect(definitionOf(synth, scoring.stateMachine).asl).toEqual(
      scoringDefinition(
        { prepare: fnArn(synth, scoring.prepare), scoreShard: fnArn(synth, scoring.scoreShard) },
        { bucket: FAKE_BUCKET, timeoutSeconds: 7200, taskTimeoutSeconds: { plan: 960, worker: 960 } },
        { maxConcurrency: 40, maxItemsPerBatch: 5, toleratedFailurePercentage: 1 },
      ),
    );
    expect(definitionOf(synth, training.stateMachine).asl).toEqual(
      featureBuildDefinition(
        { plan: fnArn(synth, training.planFeatures), buildShard: fnArn(synth, training.buildFeatures), train: fnArn(synth, training.handler) },
        { bucket: FAKE_BUCKET, timeoutSeconds: 10_800, taskTimeoutSeconds: { plan: 960, worker: 960, train: 960 } },
        { maxConcurrency: 40, maxItemsPerBatch: 5, toleratedFailurePercentage: 1 },
      ),
    );
  });

  it('is valid Amazon States Language (asl-validator, with path and ARN checks)', async () => {
    const specifier = 'asl-validator';
    const { default: aslValidator } = (await import(specifier)) as {
      default: (d: unknown, o?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errors: unknown[] };
    };
    for (const machine of [synth.stack.scoring.stateMachine, synth.stack.training.stateMachine]) {
      const { asl } = definitionOf(synth, machine);
      expect(aslValidator(asl, { checkPaths: true, checkArn: true }).errors).toEqual([]);
    }
  });

  it("lets each state machine's role invoke its functions, read its manifests, write its results and run its own child executions", () => {
    const bucketId = synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any);
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [arnOf(bucketId), `/jobs/${prefix}/*`]] });
    for (const [machine, name, manifests, results] of [
      [synth.stack.scoring.stateMachine, 'WinbackStack-scoring', 'scoring', 'scoring-results'],
      [synth.stack.training.stateMachine, 'WinbackStack-training', 'features', 'feature-results'],
    ] as const) {
      const { resource } = definitionOf(synth, machine);
      const roleId = (resource.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = statementsOfRole(synth, roleId);
      expect(resource.Properties?.StateMachineName).toBe(name);
      expect(statements).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: objects(manifests) },
          { Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: objects(results) },
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([`:stateMachine:${name}`])] }) },
          { Effect: 'Allow', Action: ['states:DescribeExecution', 'states:StopExecution'], Resource: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([`:execution:${name}/*`])] }) },
        ]),
      );
      const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
      expect((invoke.Resource as unknown[]).every((r) => JSON.stringify(r).includes('"Fn::GetAtt"'))).toBe(true);
      // "*" only for the log-delivery and X-Ray actions Step Functions needs.
      expect(statements.filter((s) => s.Resource === '*').every((s) => actionsOf([s]).every((a) => a.startsWith('logs:') || a.startsWith('xray:')))).toBe(true);
    }
  });

  it('lets the planners write manifests, the feature workers write shards and training read them, each under its own jobs/ prefix', () => {
    const bucketId = synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any);
    const jobStatements = (fn: { function: { node: { defaultChild?: unknown } } }) => {
      const id = synth.stack.getLogicalId(fn.function.node.defaultChild as any);
      const resource = resourcesOfType(synth.template, 'AWS::Lambda::Function')[id]!;
      return statementsOfFunction(synth.template, resource).filter((s) => JSON.stringify(s.Resource).includes('/jobs/'));
    };
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [arnOf(bucketId), `/jobs/${prefix}/*`]] });
    expect(jobStatements(synth.stack.scoring.prepare)).toEqual([{ Effect: 'Allow', Action: 's3:PutObject', Resource: objects('scoring') }]);
    expect(jobStatements(synth.stack.scoring.scoreShard)).toEqual([]);
    expect(jobStatements(synth.stack.training.planFeatures)).toEqual([{ Effect: 'Allow', Action: 's3:PutObject', Resource: objects('features') }]);
    expect(jobStatements(synth.stack.training.buildFeatures)).toEqual([{ Effect: 'Allow', Action: 's3:PutObject', Resource: objects('features') }]);
    expect(jobStatements(synth.stack.training.handler)).toEqual([{ Effect: 'Allow', Action: 's3:GetObject', Resource: objects('features') }]);
  });
});

describe('scoring schedule and functions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeTemplate();
  });
  const id = (synth: Synthesized, c: { node: { defaultChild?: unknown } }): string => synth.stack.getLogicalId(c.node.defaultChild as any);

  it('is started daily by EventBridge Scheduler with the tick time as scoredAt, a retry policy and a DLQ', () => {
    const smId = id(synth, synth.stack.scoring.stateMachine);
    const dlqId = id(synth, synth.stack.scoring.deadLetterQueue);
    const roleId = id(synth, synth.stack.scoring.jobSchedule.role);
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
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

  it('gives the scoring functions the churn threshold, the job bucket and segment size; the workers 2048 MB, 15 min and the wasm binaries', () => {
    const fns = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const bucketId = id(synth, synth.stack.modelRegistry.bucket);
    const prepare = fns[id(synth, synth.stack.scoring.prepare.function)]!;
    const worker = fns[id(synth, synth.stack.scoring.scoreShard.function)]!;
    for (const fn of [prepare, worker]) {
      expect(fn.Properties?.Environment.Variables).toMatchObject({ CHURN_THRESHOLD: '0.6', JOB_BUCKET: { Ref: bucketId }, JOB_SEGMENT_CUSTOMERS: '1000' });
    }
    expect(worker.Properties).toMatchObject({ MemorySize: 2048, Timeout: 900 });
    expect(worker.Properties?.Environment.Variables).toMatchObject({ WINBACK_TF_BACKEND: 'wasm' });
    expect(prepare.Properties?.Environment.Variables.TFJS_WASM_DIR).toBeUndefined();
    const train = fns[id(synth, synth.stack.training.handler.function)]!;
    expect(train.Properties?.Environment.Variables).toMatchObject({ JOB_BUCKET: { Ref: bucketId }, TRAINING_SAMPLE_CUSTOMERS: '20000' });
  });
});
