import type { Template } from 'aws-cdk-lib/assertions';

/** A CloudFormation resource as it appears in the synthesized template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The one resource of a type (fails if there is not exactly one). */
export function onlyResource(template: Template, type: string): [string, CfnResource] {
  const entries = Object.entries(resourcesOfType(template, type));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return entries[0]!;
}

/**
 * CDK's own provider functions (the console's BucketDeployment, which copies the pages to S3 at
 * deploy time): not winback code, not WinbackFunctions; test/infra/console-auth.test.ts covers them.
 */
export const isCdkProviderFunction = (logicalId: string): boolean => logicalId.startsWith('CustomCDKBucketDeployment');

/** winback's Lambda functions keyed by their POWERTOOLS_SERVICE_NAME. */
export function functionsByService(template: Template): Record<string, [string, CfnResource]> {
  const out: Record<string, [string, CfnResource]> = {};
  for (const [id, fn] of Object.entries(resourcesOfType(template, 'AWS::Lambda::Function'))) {
    if (isCdkProviderFunction(id)) continue;
    const service = fn.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME as string | undefined;
    if (!service) throw new Error(`function ${id} has no POWERTOOLS_SERVICE_NAME`);
    out[service] = [id, fn];
  }
  return out;
}

function roleLogicalIdOf(fn: CfnResource): string {
  const role = fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const id = role?.['Fn::GetAtt']?.[0];
  if (!id) throw new Error('function role is not a GetAtt of a role in this template');
  return id;
}

/**
 * Every statement that applies to the function's role: the AWS::IAM::Policy resources attached to
 * it and the role's inline policies. (Managed policies are checked separately: there must be none.)
 */
export function statementsOfFunction(template: Template, fn: CfnResource): PolicyStatement[] {
  const roleId = roleLogicalIdOf(fn);
  const role = template.toJSON().Resources[roleId] as CfnResource;
  const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement as PolicyStatement[]);
  return [...inline, ...attached];
}

export function actionsOf(statements: readonly PolicyStatement[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}

export function managedPolicyArnsOfFunction(template: Template, fn: CfnResource): unknown[] {
  const role = template.toJSON().Resources[roleLogicalIdOf(fn)] as CfnResource;
  return (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export function arnOf(logicalId: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

/**
 * The ingest HTTP API (named winback-ingest) or its one stage. The stack has a second HTTP API,
 * the console's (test/infra/console-auth.test.ts).
 */
export function ingestApiResource(template: Template, type: 'AWS::ApiGatewayV2::Api' | 'AWS::ApiGatewayV2::Stage'): [string, CfnResource] {
  const apiId = ingestApiId(template);
  const found = Object.entries(resourcesOfType(template, type)).filter(([id, r]) =>
    type === 'AWS::ApiGatewayV2::Api' ? id === apiId : JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: apiId }),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} of the ingest API, found ${found.length}`);
  return found[0]!;
}

export function ingestApiId(template: Template): string {
  const found = Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Api')).find(([, api]) => api.Properties?.Name === 'winback-ingest');
  if (!found) throw new Error('no HTTP API named winback-ingest');
  return found[0];
}
