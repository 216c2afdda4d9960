import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { CONSOLE_EDITORS_GROUP } from '../../functions/console/routes.js';

export interface ConsoleAuthProps {
  /** Where the Hosted UI sends users back after sign-in and sign-out (the console page's URL). */
  readonly callbackUrl: string;
  /**
   * Prefix of the Hosted UI's domain, `<prefix>.auth.<region>.amazoncognito.com` (unique in the
   * region across all accounts).
   * @default `winback-` and the first group of the CloudFormation stack id's UUID (unique per stack)
   */
  readonly domainPrefix?: string;
  /** @default RemovalPolicy.RETAIN (the users and their MFA devices outlive a teardown) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Who may open the deployed console: a Cognito user pool where only an administrator creates
 * users (no self sign-up; `aws cognito-idp admin-create-user`, README "Console on AWS: sign-in"),
 * with a strong password policy and TOTP MFA required, on the Plus feature plan (threat
 * protection enforced: compromised credentials and risky sign-ins blocked). The console page is a
 * public client (no secret in a browser) using the authorization code grant with PKCE through the
 * Hosted UI; its access token (sub and groups, no email) goes to the console API's JWT authorizer.
 * Members of the CONSOLE_EDITORS_GROUP group may also change state; the others read only.
 */
export class ConsoleAuth extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  public readonly domain: cognito.UserPoolDomain;
  public readonly editorsGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: ConsoleAuthProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: 'winback-console',
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        // The temporary password of an invitation must be changed within 3 days.
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      // TOTP only: SMS needs an SNS role and spend limits, and is the weaker factor.
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your winback console account',
        emailBody: 'You have been invited to the winback console. User name: {username}; temporary password: {####}. You will set a new password and an authenticator app (MFA) at the first sign-in.',
      },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.editorsGroup = new cognito.CfnUserPoolGroup(this, 'EditorsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: CONSOLE_EDITORS_GROUP,
      description: 'May change state from the console (pause or resume a campaign); other users read only',
    });

    const stackUuid = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    this.domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `winback-${Fn.select(0, Fn.split('-', stackUuid))}` },
    });

    this.client = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'winback-console',
      generateSecret: false,
      // Only the Hosted UI signs users in: no password flows reach the pool from this client.
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID],
        callbackUrls: [props.callbackUrl],
        logoutUrls: [props.callbackUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
  }

  /** The Hosted UI's base URL (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  public get hostedUiUrl(): string {
    return this.domain.baseUrl();
  }
}
