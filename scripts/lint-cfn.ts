/**
 * Lints the CloudFormation templates `cdk synth` wrote to cdk.out, with two validators:
 *
 * 1. AWS CloudFormation Validate, the offline engine aws-cdk-lib ships as `CloudFormationValidatePlugin`
 *    (current resource schemas plus the cfn-lint rule set). Authoritative: any error fails the lint.
 * 2. cfn-lint from npm (v1.9.7). Its resource specification is from 2019 (v2.29.0): it does not know
 *    what CloudFormation has added since (Lambda Architectures and LoggingConfig, SQS
 *    SqsManagedSseEnabled, HTTP API CorsConfiguration, SES SuppressionOptions...). Its *schema*
 *    findings (unknown property, "required" property, unknown type) are therefore accepted as
 *    outdated-spec findings, but only on resources that engine 1 validated without an error.
 *    Its other findings (Ref, GetAtt, Sub, Select, conditions, outputs) fail the lint.
 *
 * Usage: node scripts/bin/run.mjs scripts/lint-cfn.ts [cdk.out directory | template.json ...]
 * Exit status: 0 clean, 1 findings, 2 nothing to lint.
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CloudFormationValidatePlugin } from 'aws-cdk-lib';
import { validateJsonObject } from 'cfn-lint';
import { getResourceType, NoSuchResourceType } from 'cfn-lint/lib/resourcesSpec.js';
import { RootConstruct } from 'constructs';

export interface Finding {
  readonly template: string;
  readonly validator: 'cloudformation-validate' | 'cfn-lint';
  readonly rule: string;
  readonly location: string;
  readonly message: string;
}

export interface LintReport {
  readonly templates: readonly string[];
  /** Findings that fail the lint. */
  readonly errors: readonly Finding[];
  /** Reported, never failing: engine warnings. */
  readonly warnings: readonly Finding[];
  /** cfn-lint schema findings dismissed because its 2019 specification predates the property or type. */
  readonly outdatedSpec: readonly Finding[];
}

/**
 * Values for the pseudo parameters and parameters cfn-lint would otherwise mock. AWS::StackId must
 * be a real-shaped ARN: the default write key is the UUID taken from it with Fn::Split/Fn::Select.
 */
const CFN_LINT_PSEUDO_PARAMETERS = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::StackId': 'arn:aws:cloudformation:eu-west-1:123456789012:stack/WinbackStack/0f8e4e40-0000-4000-8000-000000000000',
  'AWS::StackName': 'WinbackStack',
};
/** The CDK bootstrap stack version the template's CheckBootstrapVersion rule asks for. */
const CFN_LINT_PARAMETERS = { BootstrapVersion: '6' };

/** cfn-lint messages that come from its resource specification, i.e. that may only mean "newer than 2019". */
const SCHEMA_FINDINGS = [
  /^\S+ is not a valid property of AWS::[\w:.]+$/,
  /^Required property \S+ missing for type AWS::[\w:.]+$/,
  /^Resource \S+ has an invalid Type of AWS::[\w:]+\.$/,
];

/** Stack templates listed in a cloud assembly's manifest (falls back to *.template.json). */
export function templatesIn(assemblyDir: string): string[] {
  const manifestPath = join(assemblyDir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
    };
    const files = Object.values(manifest.artifacts ?? {})
      .filter((a) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
      .map((a) => join(assemblyDir, a.properties!.templateFile!));
    if (files.length > 0) return files;
  }
  if (!existsSync(assemblyDir)) return [];
  return readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(assemblyDir, f));
}

function runEngine(plugin: CloudFormationValidatePlugin, templatePath: string): Finding[] {
  const report = plugin.validate({
    templatePaths: [templatePath],
    stackTemplates: [{ stackConstructPath: templatePath, templatePath, accountId: undefined, region: undefined }],
    // Required by the interface, unused by this plugin: it validates the template file only.
    appConstruct: new RootConstruct(),
  });
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({
      template: templatePath,
      validator: 'cloudformation-validate' as const,
      rule: `${v.ruleName}:${v.severity ?? 'error'}`,
      location: [r.resourceLogicalId ?? '(template)', ...r.locations].join(' '),
      message: v.description,
    })),
  );
}

/**
 * A resource type cfn-lint's 2019 specification knows. A Fn::GetAtt of a type it does not know
 * (CloudFront's OriginAccessControl, 2022) makes it throw instead of reporting, so such resources
 * reach it as custom resources, whose attributes it mocks; it reported unknown types as
 * outdated-spec findings anyway, and engine 1 validates them against the current schemas.
 * Only GetAtt targets are masked: cfn-lint's other checks of unknown types stay as they were.
 */
function knownToCfnLint(type: string): boolean {
  try {
    getResourceType(type);
    return true;
  } catch (error) {
    if (error instanceof NoSuchResourceType) return false;
    throw error;
  }
}

function runCfnLint(templatePath: string): Finding[] {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>;
  // The Rules section (CDK's bootstrap-version check) postdates this linter's parser; CloudFormation checks it at deploy.
  delete template.Rules;
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: unknown }>;
  const getAttTargets = new Set([...JSON.stringify(template).matchAll(/"Fn::GetAtt":\["([^"]+)"/g)].map((m) => m[1]!));
  for (const [id, resource] of Object.entries(resources)) {
    if (getAttTargets.has(id) && resource.Type.startsWith('AWS::') && !knownToCfnLint(resource.Type)) {
      resources[id] = { Type: `Custom::OutdatedSpec${resource.Type.replace(/::/g, '')}`, Properties: { ServiceToken: 'outdated-spec' } };
    }
  }
  const result = validateJsonObject(template, {
    pseudoParameters: CFN_LINT_PSEUDO_PARAMETERS,
    parameters: CFN_LINT_PARAMETERS,
  });
  const levels = [
    ['crit', result.errors.crit],
    ['warn', result.errors.warn],
  ] as const;
  return levels.flatMap(([level, records]) =>
    records.map((e) => ({
      template: templatePath,
      validator: 'cfn-lint' as const,
      rule: level,
      location: e.resource,
      message: e.message,
    })),
  );
}

/** The logical id in a cfn-lint location such as "Resources > MyQueue > Properties > X". */
function logicalIdOf(location: string): string | undefined {
  const [section, id] = location.split(' > ');
  return section === 'Resources' ? id : undefined;
}

export function lintTemplates(templatePaths: readonly string[]): LintReport {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const outdatedSpec: Finding[] = [];
  const plugin = new CloudFormationValidatePlugin();
  try {
    for (const templatePath of templatePaths) {
      const engineFindings = runEngine(plugin, templatePath);
      const engineErrors = engineFindings.filter((f) => /:(error|fatal)$/.test(f.rule));
      errors.push(...engineErrors);
      warnings.push(...engineFindings.filter((f) => !engineErrors.includes(f)));
      const resourcesWithEngineErrors = new Set(engineErrors.map((f) => f.location.split(' ')[0]));

      for (const finding of runCfnLint(templatePath)) {
        const id = logicalIdOf(finding.location);
        const schemaOnly = SCHEMA_FINDINGS.some((re) => re.test(finding.message));
        if (schemaOnly && id !== undefined && !resourcesWithEngineErrors.has(id)) outdatedSpec.push(finding);
        else if (finding.rule === 'warn') warnings.push(finding);
        else errors.push(finding);
      }
    }
  } finally {
    plugin._dispose?.();
  }
  return { templates: templatePaths, errors, warnings, outdatedSpec };
}

function printFindings(title: string, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  console.log(`\n${title} (${findings.length}):`);
  for (const f of findings) console.log(`  [${f.validator} ${f.rule}] ${f.location}: ${f.message}`);
}

function main(args: readonly string[]): number {
  const targets = args.length > 0 ? args : ['cdk.out'];
  const templates = targets.flatMap((t) => {
    const path = resolve(t);
    return existsSync(path) && statSync(path).isDirectory() ? templatesIn(path) : [path];
  });
  if (templates.length === 0 || templates.some((t) => !existsSync(t))) {
    console.error(`lint-cfn: no template found in ${targets.join(', ')}; run \`npm run synth\` first`);
    return 2;
  }
  const report = lintTemplates(templates);
  printFindings('Errors', report.errors);
  printFindings('Warnings', report.warnings);
  if (process.env.LINT_CFN_VERBOSE) printFindings('cfn-lint findings from its outdated 2019 specification (dismissed)', report.outdatedSpec);
  console.log(
    `\nlint-cfn: ${templates.map((t) => relative(process.cwd(), t)).join(', ')}: ${report.errors.length} error(s), ` +
      `${report.warnings.length} warning(s), ${report.outdatedSpec.length} cfn-lint outdated-spec finding(s) dismissed` +
      (process.env.LINT_CFN_VERBOSE ? '' : ' (LINT_CFN_VERBOSE=1 lists them)'),
  );
  return report.errors.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
