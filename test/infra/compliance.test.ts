import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LintReport, lintTemplates } from '../../scripts/lint-cfn.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every cdk-nag acknowledgement in the tree, where it was made. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('compliance', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: as `npm run synth` does (cdk-nag plugin), without bundling: no rule reads the code.
    synth = synthesizeTemplate();
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged error or warning', () => {
      // Act: cdk-nag 3 reports through the validation framework, not through Annotations,
      // so the pack is asked directly (the same call the synth makes).
      const report = new AwsSolutionsChecks().validateScope(synth.app);
      // Assess
      const unacknowledged = report.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
      expect(unacknowledged).toEqual([]);
    });

    it('would catch a violation (the check above is not vacuous)', () => {
      // Prepare: a queue with neither a DLQ nor TLS enforcement.
      const app = new App();
      new sqs.Queue(new Stack(app, 'Bad'), 'Queue', { enforceSSL: false });
      // Act
      const report = new AwsSolutionsChecks().validateScope(app);
      // Assess
      expect(report.violations.filter((v) => v.severity === 'error').map((v) => v.ruleName).sort()).toEqual([
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
      ]);
    });

    it('has only the reviewed acknowledgements, each with a specific reason', () => {
      const acks = acknowledgements(synth.app);
      const summary = acks.map((a) => `${a.path.replace(/^WinbackStack\//, '')} ${a.id}`).sort();
      expect(summary).toEqual(
        [
          'EmailFeedback/EmailEvents/Processor/Function AwsSolutions-L1',
          'EmailFeedback/EmailEvents/Processor/Role AwsSolutions-IAM5[Resource::*]',
          'EmailFeedback/EmailEvents/Processor AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'IngestApi/Api AwsSolutions-APIG4',
          'IngestApi/Events/Processor/Function AwsSolutions-L1',
          'IngestApi/Events/Processor/Role AwsSolutions-IAM5[Resource::*]',
          'IngestApi/Events/Processor AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'IngestApi/Events/Processor AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/*]',
          'IngestApi/Events/Processor AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/snapshots/*]',
          'IngestApi/Ingest/Function AwsSolutions-L1',
          'IngestApi/Ingest/Role AwsSolutions-IAM5[Resource::*]',
          // Issue 11: the Shopify webhook key is issued (and rotated) by Shopify.
          'IngestApi/ShopifyWebhookSecret/Secret AwsSolutions-SMG4',
          // Issue 3: model registry, training and scoring.
          'ModelRegistry/AccessLogs AwsSolutions-S1',
          'Training/TrainModels/Function AwsSolutions-L1',
          'Training/TrainModels/Role AwsSolutions-IAM5[Resource::*]',
          'Training/TrainModels AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Training/TrainModels AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/*]',
          'Training/Weekly/DeadLetterQueue AwsSolutions-SQS3',
          'Scoring/PrepareScoring/Function AwsSolutions-L1',
          'Scoring/PrepareScoring/Role AwsSolutions-IAM5[Resource::*]',
          'Scoring/PrepareScoring AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/*]',
          'Scoring/ScoreShard/Function AwsSolutions-L1',
          'Scoring/ScoreShard/Role AwsSolutions-IAM5[Resource::*]',
          'Scoring/ScoreShard AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Scoring/ScoreShard AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/*]',
          'Scoring/ScoreShard AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/snapshots/*]',
          'Scoring/Job/StateMachine AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/scoring-results/*]',
          'Scoring/Job/StateMachine AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/scoring/*]',
          'Scoring/Job/StateMachine/Role AwsSolutions-IAM5[Resource::*]',
          'Scoring/Job/StateMachine/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:WinbackStack-scoring/*]',
          'Scoring/PrepareScoring AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Scoring/PrepareScoring AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/scoring/*]',
          'Training/BuildFeatures AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Training/BuildFeatures AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/features/*]',
          'Training/BuildFeatures/Function AwsSolutions-L1',
          'Training/BuildFeatures/Role AwsSolutions-IAM5[Resource::*]',
          'Training/Job/StateMachine AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/feature-results/*]',
          'Training/Job/StateMachine AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/features/*]',
          'Training/Job/StateMachine/Role AwsSolutions-IAM5[Resource::*]',
          'Training/Job/StateMachine/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:WinbackStack-training/*]',
          'Training/PlanFeatures AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Training/PlanFeatures AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/features/*]',
          'Training/PlanFeatures/Function AwsSolutions-L1',
          'Training/PlanFeatures/Role AwsSolutions-IAM5[Resource::*]',
          'Training/TrainModels AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/features/*]',
          'Scoring/Daily/DeadLetterQueue AwsSolutions-SQS3',
          // Issue 4: campaign orchestration (three functions, three state machines, the trigger sweep).
          ...['Fanout', 'Journey', 'Triggers'].flatMap((fn) => [
            `Campaigns/${fn}/Function AwsSolutions-L1`,
            `Campaigns/${fn}/Role AwsSolutions-IAM5[Resource::*]`,
            `Campaigns/${fn} AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]`,
          ]),
          // Until `-c senderIdentity=...` names the verified identity (the construct then scopes ses:SendEmail to it).
          'Campaigns/Fanout AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/*]',
          'Campaigns/Journey AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
          'Campaigns/JourneyWaitStateMachine/Role AwsSolutions-IAM5[Resource::*]',
          'Campaigns/JourneyStateMachine/Role AwsSolutions-IAM5[Resource::*]',
          'Campaigns/FanoutStateMachine/Role AwsSolutions-IAM5[Resource::*]',
          'Campaigns/TriggerSweep/DeadLetterQueue AwsSolutions-SQS3',
          'Campaigns/TriggerSweep/Role AwsSolutions-IAM5[Resource::<CampaignsTriggersFunctionA69C2AB2.Arn>:*]',
          // The unsubscribe pages (table-level grant: no index acknowledgement) and their key, never rotated.
          'UnsubscribePages/Handler/Function AwsSolutions-L1',
          'UnsubscribePages/Handler/Role AwsSolutions-IAM5[Resource::*]',
          'UnsubscribeSecret/Secret AwsSolutions-SMG4',
          // Issue 12: erasure and access requests (IAM-authorized routes); the function queries the indexes while collecting.
          'PrivacyApi/Handler/Function AwsSolutions-L1',
          'PrivacyApi/Handler/Role AwsSolutions-IAM5[Resource::*]',
          'PrivacyApi/Handler AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'PrivacyApi/Handler AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/jobs/*]',
          'PrivacyApi/Handler AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/snapshots/*]',
          // Issue 12: the console behind Cognito. The log bucket is the end of the log chain; the
          // distribution uses the default *.cloudfront.net certificate, no geo block, no WAF; the
          // API reads the table's indexes and the registry like the CLI.
          'Console/Logs AwsSolutions-S1',
          'Console/Distribution AwsSolutions-CFR1',
          'Console/Distribution AwsSolutions-CFR2',
          'Console/Distribution AwsSolutions-CFR4',
          'Console/Handler/Function AwsSolutions-L1',
          'Console/Handler/Role AwsSolutions-IAM5[Resource::*]',
          'Console/Handler AwsSolutions-IAM5[Resource::<EventStoreTable9A84AAAA.Arn>/index/*]',
          'Console/Handler AwsSolutions-IAM5[Resource::<ModelRegistryBucketF56BB991.Arn>/models/*]',
          // CDK's BucketDeployment provider (copies the pages to S3 at deploy): its runtime, managed
          // policy and wildcard statements are aws-cdk-lib's, acknowledged one finding at a time.
          ...[
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
            'AwsSolutions-L1',
            'AwsSolutions-IAM5[Action::s3:GetBucket*]',
            'AwsSolutions-IAM5[Action::s3:GetObject*]',
            'AwsSolutions-IAM5[Action::s3:List*]',
            'AwsSolutions-IAM5[Action::s3:Abort*]',
            'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
            'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
            'AwsSolutions-IAM5[Resource::<ConsoleSite26539DB4.Arn>/*]',
            'AwsSolutions-IAM5[Resource::*]',
          ].map((id) => `Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB ${id}`),
        ].sort(),
      );
      for (const ack of acks) expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(60);
    });
  });

  describe('scripts/lint-cfn.ts', () => {
    let report: LintReport;
    let broken: string;
    let brokenQueueId: string;
    beforeAll(() => {
      // Prepare: a copy of the template with an unknown property, a wrong type and a dangling GetAtt.
      const template = JSON.parse(readFileSync(synth.templatePath, 'utf8')) as { Resources: Record<string, any> };
      const [queueId, queue] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SQS::Queue')!;
      queue.Properties.Bogus = true;
      queue.Properties.VisibilityTimeout = 'soon';
      queue.Properties.Tags = [{ Key: 'ref', Value: { 'Fn::GetAtt': ['Missing', 'Arn'] } }];
      broken = join(mkdtempSync(join(tmpdir(), 'lint-cfn-')), 'Broken.template.json');
      writeFileSync(broken, JSON.stringify(template));
      brokenQueueId = queueId;
      // Act: one call, so the validation engine is initialised once.
      report = lintTemplates([synth.templatePath, broken]);
    });

    it('finds no error or warning in the synthesized template (current schemas + npm cfn-lint)', () => {
      expect(report.errors.filter((e) => e.template === synth.templatePath)).toEqual([]);
      expect(report.warnings.filter((e) => e.template === synth.templatePath)).toEqual([]);
    });

    it('fails a template with an unknown property, a wrong type and a dangling GetAtt', () => {
      const errors = report.errors.filter((e) => e.template === broken);
      const engineRules = errors.filter((e) => e.validator === 'cloudformation-validate').map((e) => e.rule.split(':')[0]);
      expect(engineRules).toEqual(expect.arrayContaining(['F3002', 'F3012', 'F1020']));
      expect(errors.filter((e) => e.validator === 'cfn-lint').length).toBeGreaterThan(0);
      expect(errors.every((e) => e.location.includes(brokenQueueId))).toBe(true);
    });
  });
});
