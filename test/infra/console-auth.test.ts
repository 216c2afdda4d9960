import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_API_PREFIX, CONSOLE_API_ROUTES, CONSOLE_EDITORS_GROUP } from '../../functions/console/routes.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { functionsByService, onlyResource, resourcesOfType, statementsOfFunction, type CfnResource } from './template-queries.js';

/**
 * The console on AWS (issue 12): sign-in with Cognito (admin-invited users only, MFA), an
 * authorizer on every console API route (none open), the pages on S3 behind CloudFront.
 * synthesizeTemplate() runs cdk-nag's AwsSolutions as a validation plugin: an unacknowledged
 * finding (the console's included) throws there, so every test here also stands on a clean nag.
 */
describe('console behind sign-in', () => {
  let synth: Synthesized;
  let routes: CfnResource[];
  let consoleApiId: string;
  beforeAll(() => {
    synth = synthesizeTemplate();
    routes = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route'));
    const apis = Object.entries(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Api'));
    consoleApiId = apis.find(([, api]) => api.Properties?.Name === 'winback-console')![0];
  });

  const path = (route: CfnResource): string => String(route.Properties?.RouteKey).split(' ')[1] ?? '';
  const consoleRoutes = (): CfnResource[] => routes.filter((r) => path(r).startsWith(`${CONSOLE_API_PREFIX}/`));

  it('has one user pool where only administrators create users, MFA required, a strong password policy', () => {
    const [, pool] = onlyResource(synth.template, 'AWS::Cognito::UserPool');
    expect(pool.Properties?.AdminCreateUserConfig?.AllowAdminCreateUserOnly).toBe(true);
    expect(pool.Properties?.MfaConfiguration).toBe('ON');
    expect(pool.Properties?.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    const policy = pool.Properties?.Policies?.PasswordPolicy;
    expect(policy.MinimumLength).toBeGreaterThanOrEqual(12);
    expect([policy.RequireLowercase, policy.RequireUppercase, policy.RequireNumbers, policy.RequireSymbols]).toEqual([true, true, true, true]);
    expect(pool.Properties?.UserPoolAddOns?.AdvancedSecurityMode).toBe('ENFORCED');
    const [, group] = onlyResource(synth.template, 'AWS::Cognito::UserPoolGroup');
    expect(group.Properties?.GroupName).toBe(CONSOLE_EDITORS_GROUP);
  });

  it('gives the page a public client with the code grant only (PKCE in the browser, no secret, no password flows)', () => {
    const [, client] = onlyResource(synth.template, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties?.GenerateSecret).toBe(false);
    expect(client.Properties?.AllowedOAuthFlows).toEqual(['code']);
    expect(client.Properties?.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.Properties?.ExplicitAuthFlows ?? []).not.toContain('ALLOW_USER_PASSWORD_AUTH');
    expect(JSON.stringify(client.Properties?.CallbackURLs)).toContain('DomainName');
  });

  it('creates exactly the console routes of CONSOLE_API_ROUTES, on the console API', () => {
    const keys = consoleRoutes().map((r) => r.Properties?.RouteKey as string).sort();
    expect(keys).toEqual(CONSOLE_API_ROUTES.map((r) => `${r.method} ${CONSOLE_API_PREFIX}${r.path}`).sort());
    for (const route of consoleRoutes()) expect(route.Properties?.ApiId).toEqual({ Ref: consoleApiId });
  });

  it('puts the Cognito JWT authorizer on every console API route: none is open', () => {
    const authorizers = resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Authorizer');
    const cognito = Object.entries(authorizers).filter(([, a]) => a.Properties?.AuthorizerType === 'JWT');
    expect(cognito).toHaveLength(1);
    const [authorizerId, authorizer] = cognito[0]!;
    expect(JSON.stringify(authorizer.Properties?.JwtConfiguration?.Issuer)).toContain('cognito-idp');
    expect(authorizer.Properties?.JwtConfiguration?.Audience).toHaveLength(1);
    expect(authorizer.Properties?.IdentitySource).toEqual(['$request.header.Authorization']);
    expect(consoleRoutes().length).toBeGreaterThan(0);
    for (const route of consoleRoutes()) {
      expect(route.Properties?.AuthorizationType, String(route.Properties?.RouteKey)).toBe('JWT');
      expect(route.Properties?.AuthorizerId).toEqual({ Ref: authorizerId });
    }
    expect(consoleRoutes().filter((r) => (r.Properties?.AuthorizationType ?? 'NONE') === 'NONE')).toEqual([]);
  });

  it('sends nothing else to the console API: no $default route or greedy path that could bypass the authorizer', () => {
    const onConsoleApi = routes.filter((r) => JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: consoleApiId }));
    expect(onConsoleApi.map((r) => path(r)).every((p) => p.startsWith(`${CONSOLE_API_PREFIX}/`) && !p.includes('+'))).toBe(true);
    expect(onConsoleApi.every((r) => r.Properties?.AuthorizationType === 'JWT')).toBe(true);
    // And no other API (the ingest one, whose $default is open) has a console path.
    expect(routes.filter((r) => path(r).startsWith('/console') && !onConsoleApi.includes(r))).toEqual([]);
  });

  it('serves the pages from a private S3 bucket through CloudFront (OAC, HTTPS, logging) and the API under /console/api/*', () => {
    const [, dist] = onlyResource(synth.template, 'AWS::CloudFront::Distribution');
    const config = dist.Properties?.DistributionConfig;
    expect(config.Logging?.Bucket).toBeDefined();
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const s3Origin = config.Origins.find((o: Record<string, unknown>) => o['S3OriginConfig']);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(s3Origin.Id);
    const apiBehavior = config.CacheBehaviors.find((b: Record<string, unknown>) => b['PathPattern'] === `${CONSOLE_API_PREFIX}/*`);
    expect(apiBehavior.ViewerProtocolPolicy).toBe('https-only');
    const apiOrigin = config.Origins.find((o: Record<string, unknown>) => o['Id'] === apiBehavior.TargetOriginId);
    expect(apiOrigin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(consoleApiId);
    onlyResource(synth.template, 'AWS::CloudFront::OriginAccessControl');

    const site = Object.values(resourcesOfType(synth.template, 'AWS::S3::Bucket')).find((b) => b.Properties?.LoggingConfiguration?.LogFilePrefix === 'site-bucket/');
    expect(site?.Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('writes config.json at deploy (client id, Hosted UI, redirect URI) beside the pages', () => {
    const [, deployment] = onlyResource(synth.template, 'Custom::CDKBucketDeployment');
    expect(deployment.Properties?.DestinationBucketKeyPrefix).toBe('console/');
    const markers = JSON.stringify(deployment.Properties?.SourceMarkers ?? []);
    expect(markers).toContain("UserPoolConsoleClient");
    expect(markers).toContain('Distribution');
  });

  it('leaves cdk-nag (AwsSolutions) no unacknowledged finding on the console, error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(synth.app);
    const consoleFindings = report.violations.flatMap((v) =>
      v.violatingResources.filter((r) => /\/(Console|Custom::CDKBucketDeployment)/.test(r.constructPath ?? "")).map((r) => `${v.ruleName}: ${r.constructPath}`),
    );
    expect(consoleFindings).toEqual([]);
  });

  it('lets the console function read, and write only the pause switch (PutItem on CAMPAIGN# partitions)', () => {
    const [, fn] = functionsByService(synth.template)['console-api']!;
    const writes = statementsOfFunction(synth.template, fn).filter((s) =>
      [s.Action].flat().some((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    );
    expect(writes).toHaveLength(1);
    expect(writes[0]!.Action).toBe('dynamodb:PutItem');
    expect(JSON.stringify(writes[0])).toContain('"dynamodb:LeadingKeys":["CAMPAIGN#*"]');
  });
});
