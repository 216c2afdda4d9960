import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../kernel/settings.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { onlyResource } from './template-queries.js';

describe('EventStore (DynamoDB table)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: the table needs no function assets.
    synth = synthesizeTemplate();
  });

  it('is keyed pk/sk, on demand, with point-in-time recovery and server-side encryption', () => {
    // Assess
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // AWS-managed KMS key (aws/dynamodb): SSEEnabled with no key id.
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('has the byTime LSI and the gsi1 GSI, both projecting all attributes', () => {
    const [, table] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    expect(table.Properties?.LocalSecondaryIndexes).toEqual([
      {
        IndexName: TABLE.byTimeIndex,
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.byTimeSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: TABLE.gsi1,
        KeySchema: [
          { AttributeName: TABLE.gsi1PartitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.gsi1SortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('survives a stack deletion: deletion protection and a RETAIN policy', () => {
    const [, table] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});
