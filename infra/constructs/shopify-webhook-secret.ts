import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../function-environment.js';

export interface ShopifyWebhookSecretProps {
  /**
   * What happens to the secret when it leaves the stack.
   * @default RemovalPolicy.DESTROY: its value is a copy of a key Shopify shows the shop owner, so
   * nothing is lost with it (Secrets Manager still keeps it 30 days, recoverable)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The key Shopify signs webhooks with (the app's client secret, or the key of webhooks made under
 * Settings > Notifications). Shopify chooses it, so the stack only makes the secret: its first
 * value is random, nothing verifies until the user puts the real key in with
 * `aws secretsmanager put-secret-value` (README, "Connect Shopify"), and the ingest function reads
 * it (SHOPIFY_SECRET_ARN, functions/ingest/shopify/shopify-secret.ts), nothing else.
 */
export class ShopifyWebhookSecret extends Construct {
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ShopifyWebhookSecretProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'winback: the key Shopify signs webhooks with (X-Shopify-Hmac-Sha256). Put your app\'s client secret here; several may be separated by commas.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Shopify issues this key (the app client secret), so it can only be rotated in Shopify; the new key is then put here with put-secret-value (several comma-separated keys are accepted during the change). A rotation Lambda has nothing to generate. Only the ingest function may read it.',
    });
  }

  /** The variable naming the secret, for the function that verifies the webhooks. */
  public get environment(): FunctionEnvironment {
    return { SHOPIFY_SECRET_ARN: this.secret.secretArn };
  }

  /** secretsmanager:GetSecretValue on this secret only (no DescribeSecret, which `secret.grantRead` adds). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.secret.secretArn] });
  }
}
