import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct, type IConstruct } from 'constructs';
import { InfraConfigError } from '../errors.js';
import { MODEL_REGISTRY_PREFIX } from '../../kernel/settings.js';

export interface ModelRegistryProps {
  /**
   * How long S3 keeps an overwritten or deleted object's previous versions (e.g. an older champion
   * pointer). Model versions themselves are written once under their own keys and never expire.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * What happens to the bucket (and the models) when it leaves the stack.
   * @default RemovalPolicy.RETAIN: the models, their metrics and the champion history are the audit
   * trail of every score ever written
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A bucket to send the registry's server access logs to (e.g. the organisation's log bucket). It
   * must accept them: a bucket policy for logging.s3.amazonaws.com, SSE-S3 encryption.
   * @default - a log bucket created here (SSE-S3, TLS only, no public access)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * How long the log bucket created here keeps access logs (ignored with serverAccessLogsBucket).
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
}

/**
 * The model registry in AWS: an S3 bucket whose `models/` prefix holds every trained model version
 * (TF.js `model.json` + `weights.bin`, CLV parameters, metadata and metrics) and the champion
 * pointers. Versioned (an overwritten pointer can be recovered), SSE-S3 encrypted, no public access,
 * TLS 1.2+ only, server access logs to a log bucket, retained with the stack's deletion.
 * Locally, the same layout lives under the data directory.
 */
export class ModelRegistry extends Construct {
  public readonly bucket: s3.Bucket;
  /** The log bucket created here, if serverAccessLogsBucket was not given. */
  public readonly accessLogsBucket?: s3.Bucket;
  /** Key prefix of the registry inside the bucket, without slashes. */
  public readonly prefix = MODEL_REGISTRY_PREFIX;
  /** Key prefix of the distributed jobs' objects (manifests, feature shards, Map results), without slashes. */
  public readonly jobsPrefix = 'jobs';

  constructor(scope: Construct, id: string, props: ModelRegistryProps = {}) {
    super(scope, id);
    const noncurrentVersionRetention = props.noncurrentVersionRetention ?? Duration.days(90);
    const accessLogRetention = props.accessLogRetention ?? Duration.days(365);
    for (const [name, d] of [['noncurrentVersionRetention', noncurrentVersionRetention], ['accessLogRetention', accessLogRetention]] as const) {
      const days = d.toDays({ integral: false });
      if (!Token.isUnresolved(days) && (days < 1 || !Number.isInteger(days))) {
        throw new InfraConfigError(this, `${name} must be a whole number of days, at least 1`);
      }
    }
    // S3 server access logs are delivered under a bucket policy for logging.s3.amazonaws.com
    // (scoped to this bucket and account), not the legacy LogDeliveryWrite ACL, which buckets with
    // ACLs disabled (the default since 2023) refuse. The project's cdk.json does not set this
    // recommended flag; it is set for this construct's children only.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    let logsBucket = props.serverAccessLogsBucket;
    if (!logsBucket) {
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
        // Server access logging delivers only to SSE-S3 buckets.
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: accessLogRetention, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(this.accessLogsBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          "This is the destination of the model registry's server access logs. Logging it into itself would log its own log deliveries without end, and into another bucket only moves the question; its writes are S3's log delivery alone, and CloudTrail records its management events.",
      });
      logsBucket = this.accessLogsBucket;
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: logsBucket,
      serverAccessLogsPrefix: 'model-registry/',
      lifecycleRules: [
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: noncurrentVersionRetention,
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        // Manifests, feature shards and Map results are rebuilt by every run: two weeks covers
        // a weekly training's inputs and the investigation of a failed run.
        { id: 'ExpireJobObjects', prefix: 'jobs/', expiration: Duration.days(14) },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** MODEL_REGISTRY_URI: `s3://<bucket>/models`. */
  public get uri(): string {
    return `s3://${this.bucket.bucketName}/${this.prefix}`;
  }

  /**
   * The job bucket of the distributed jobs (JOB_BUCKET, the `jobs/` prefix of this bucket): object
   * actions below `jobs/<subPrefix>/`, e.g. a planner writing manifests, a worker writing shards.
   */
  public grantJobObjects(grantee: iam.IGrantable & IConstruct, subPrefix: string, actions: readonly string[], what: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...actions], resources: [this.bucket.arnForObjects(`${this.jobsPrefix}/${subPrefix}/*`)] }),
    );
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${this.jobsPrefix}/${subPrefix}/*]`,
      reason: `${actions.join(', ')} below ${this.jobsPrefix}/${subPrefix}/ of the dedicated model bucket: ${what}, keyed by run time, unknown at deploy time.`,
    });
  }

  /** Writes the scoring runs' score snapshots (the live backtest's input, models/registry/backtest.ts) and nothing else. */
  public grantScoreSnapshots(grantee: iam.IGrantable & IConstruct): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${this.prefix}/snapshots/*`)] }),
    );
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${this.prefix}/snapshots/*]`,
      reason: `s3:PutObject below ${this.prefix}/snapshots/ of the dedicated model bucket: one score snapshot per scoring run part, keyed by run time, unknown at deploy time.`,
    });
  }

  /**
   * Erasure (functions/privacy/erasure-artifacts.ts): reads and rewrites the score snapshots and
   * the job objects (feature shards, manifests, Map results) that name an erased customer, and
   * deletes job objects; ListBucket to find them. Model versions hold no customer rows: not granted.
   */
  public grantErasure(grantee: iam.IGrantable & IConstruct): Record<'MODEL_REGISTRY_URI' | 'JOB_BUCKET', string> {
    const resources = [this.bucket.arnForObjects(`${this.prefix}/snapshots/*`), this.bucket.arnForObjects(`${this.jobsPrefix}/*`)];
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [resources[1]!] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(grantee).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${this.prefix}/snapshots/*]`,
        reason: `Erasure rewrites the score snapshots below ${this.prefix}/snapshots/ of the dedicated model bucket without the erased customers' rows; keyed by run time, unknown at deploy time.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${this.jobsPrefix}/*]`,
        reason: `Erasure rewrites or deletes the distributed jobs' objects below ${this.jobsPrefix}/ (feature shards, manifests, Map results) that name an erased customer; keyed by run time, unknown at deploy time.`,
      },
    );
    return { MODEL_REGISTRY_URI: this.uri, JOB_BUCKET: this.bucket.bucketName };
  }

  /** Reads model versions, metadata and champion pointers (s3:GetObject below the prefix, s3:ListBucket). */
  public grantRead(grantee: iam.IGrantable & IConstruct): void {
    this.grant(grantee, false);
  }

  /** Reads, and writes new versions and pointers (s3:PutObject); no DeleteObject: versions are only ever added. */
  public grantReadWrite(grantee: iam.IGrantable & IConstruct): void {
    this.grant(grantee, true);
  }

  private grant(grantee: iam.IGrantable & IConstruct, write: boolean): void {
    const objects = this.bucket.arnForObjects(`${this.prefix}/*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'], resources: [objects] }),
    );
    // ListBucket on the whole (dedicated) bucket, not only with an s3:prefix condition: it is what
    // makes GetObject of a missing key answer 404 NoSuchKey instead of 403 AccessDenied, which the
    // registry reads as "no champion yet" on a first run.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${this.prefix}/*]`,
      reason: `Object access (${write ? 'GetObject, PutObject' : 'GetObject'}) below the registry prefix ${this.prefix}/ of the dedicated model bucket: model versions are keys created at training time, unknown at deploy time.`,
    });
  }
}
