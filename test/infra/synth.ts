import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { WinbackStack, type WinbackStackProps } from '../../infra/winback-stack.js';

export interface Synthesized {
  readonly app: App;
  readonly stack: WinbackStack;
  readonly template: Template;
  /** The synthesized template file, for linters. */
  readonly templatePath: string;
}

export interface SynthOptions {
  readonly props?: WinbackStackProps;
  /** Extra CDK context (e.g. writeKeys). */
  readonly context?: Record<string, unknown>;
  /** Bundle the functions with esbuild (real assets). Off for tests that only read the template. @default true */
  readonly bundling?: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation validation during synth. It costs ~5 s per process
   * (a WASM engine); test/infra/compliance.test.ts runs the same engine through scripts/lint-cfn.ts.
   * @default false
   */
  readonly cfnValidation?: boolean;
}

/** The feature flags of cdk.json, so the tests see the template `cdk synth` produces. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * Synthesizes WinbackStack as infra/app.ts does: same context, cdk-nag AwsSolutions as a
 * validation plugin (so an unacknowledged error throws here, as it fails `cdk synth`).
 */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const app = new App({
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: {
      ...cdkJsonContext(),
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...options.context,
    },
  });
  const stack = new WinbackStack(app, 'WinbackStack', options.props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    templatePath: assembly.getStackByName(stack.stackName).templateFullPath,
  };
}

let templateOnly: Synthesized | undefined;

/**
 * The default stack without bundling, for tests that only read the template: synthesized once per
 * process (the infra test files share a process, see vitest.config.ts). Treat it as read-only.
 */
export function synthesizeTemplate(): Synthesized {
  return (templateOnly ??= synthesize({ bundling: false }));
}
