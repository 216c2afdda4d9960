import { isAbsolute, join, normalize } from 'node:path';
import { Duration, RemovalPolicy, type Size, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InfraConfigError } from '../errors.js';
import { type FunctionEnvironment, toLambdaEnvironment } from '../function-environment.js';
import { LOCK_FILE, PROJECT_ROOT } from '../paths.js';

/**
 * ESM bundles have none of CommonJS's module-scope variables, which some bundled CommonJS code
 * still reads: `require` (for Node built-ins; esbuild's `__require` shim falls back to a global
 * `require`) and `__dirname` / `__filename` (emscripten's loader in @tensorflow/tfjs-backend-wasm
 * reads `__dirname` in Node; without it the wasm backend fails to initialise and TF.js silently
 * falls back to the slow cpu backend). This banner defines all three, relative to the bundle.
 */
const CREATE_REQUIRE_BANNER = [
  "import { createRequire as __winbackCreateRequire } from 'node:module';",
  "import { fileURLToPath as __winbackFileURLToPath } from 'node:url';",
  "import { dirname as __winbackDirname } from 'node:path';",
  'const require = __winbackCreateRequire(import.meta.url);',
  'const __filename = __winbackFileURLToPath(import.meta.url);',
  'const __dirname = __winbackDirname(__filename);',
].join(' ');

/** Files copied into the bundle beside index.mjs (e.g. the TF.js wasm binaries). */
export interface BundledFiles {
  /** Absolute paths of the files to copy. */
  readonly sourceFiles: readonly string[];
  /** Directory relative to the bundle root (`/var/task` in Lambda) to copy them into. */
  readonly targetDir: string;
}

export interface WinbackFunctionProps {
  /** Absolute path of the entry file; it must export `handler`. */
  readonly entry: string;
  /** Powertools service name (POWERTOOLS_SERVICE_NAME): names the function in logs, traces and metrics. */
  readonly serviceName: string;
  /**
   * @default - no description
   */
  readonly description?: string;
  /**
   * Memory in MB; Lambda allocates CPU in proportion, so this also sets the speed.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Variables read by functions/commons/config.ts (typed by their names there).
   * @default - none beyond the Powertools and Node variables this construct sets
   */
  readonly environment?: FunctionEnvironment;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the function is removed.
   * @default RemovalPolicy.RETAIN (logs stay for their retention period, e.g. for an investigation after a teardown)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Concurrency reserved for (and capping) the function.
   * @default - unreserved: the account's pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Size of /tmp (512 MiB to 10 GiB).
   * @default - Lambda's default, 512 MiB
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * Files to ship with the bundle, copied after esbuild has run (they are part of the asset hash).
   * @default - none: the bundle is index.mjs and its source map
   */
  readonly bundledFiles?: readonly BundledFiles[];
}

/**
 * The project-wide Lambda function: Node.js 22 on arm64 (cheaper per ms than x86), X-Ray tracing,
 * JSON logs into a log group with a retention, and an ESM bundle built by the locally installed
 * esbuild (no Docker: a clean clone synthesizes in seconds).
 *
 * The execution role is created here rather than by Lambda so that it carries no managed policy:
 * it may write only to its own log group; everything else is granted by the construct that wires
 * the function to a resource. Use the construct as an `IGrantable` for those grants.
 */
export class WinbackFunction extends Construct implements iam.IGrantable {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: WinbackFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the winback ${props.serviceName} function`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this log group only.
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      // JSON also for the platform's START/END/REPORT lines, and it enables log-level filtering.
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ephemeralStorageSize: props.ephemeralStorageSize,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: {
        ...toLambdaEnvironment(props.environment ?? {}),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // Local esbuild only: Docker is neither needed nor wanted (slow, absent in CI).
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        // Prefer packages' ESM builds: better tree-shaking, fewer CJS shims.
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT, // a .map file beside the bundle, linked by a comment
        // Line mapping is enough for stack traces; embedding the sources would double the asset.
        sourcesContent: false,
        // Pin the SDK versions the code is tested with instead of the runtime's (which lag and drift).
        bundleAwsSDK: true,
        logLevel: LogLevel.WARNING,
        ...(props.bundledFiles?.length ? { commandHooks: this.copyCommands(props.bundledFiles) } : {}),
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the project-wide runtime, deliberately pinned: a supported LTS (upstream support to April 2027) that the bundle targets (esbuild target node22) and the tests assert. Moving to nodejs24.x is a decision for the whole project, made here in one line, not per function.',
    });
    // Lambda adds the X-Ray statement itself when tracing is active (see `tracing` above).
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*": X-Ray has no resource-level permissions for them. The infra tests assert that no other statement of this role uses "*".',
    });
  }

  /**
   * Shell commands (run by the local bundler, after esbuild) copying each file set into the
   * output directory. POSIX shell, like the rest of the local toolchain.
   */
  private copyCommands(sets: readonly BundledFiles[]): ICommandHooks {
    for (const set of sets) {
      const target = normalize(set.targetDir);
      if (isAbsolute(target) || target.startsWith('..') || target === '.') {
        throw new InfraConfigError(this, `bundledFiles.targetDir must be a subdirectory of the bundle, got ${set.targetDir}`);
      }
      if (set.sourceFiles.length === 0) throw new InfraConfigError(this, `bundledFiles for ${set.targetDir} lists no file`);
    }
    return {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        sets.flatMap((set) => {
          const target = join(outputDir, normalize(set.targetDir));
          return [`mkdir -p "${target}"`, ...set.sourceFiles.map((file) => `cp "${file}" "${target}/"`)];
        }),
    };
  }
}
