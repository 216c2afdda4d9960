import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpHandler, LocalRuntime } from '../local/runtime.js';
import { campaignsDirFrom } from '../../application/campaign-files.js';
import { handleApi, type ApiContext } from './api.js';
import { ConsoleNotFoundError } from './errors.js';
import { problem, type ConsoleResponse } from './responses.js';
import { serveStatic } from './static-files.js';

/**
 * The console: what marketers and data scientists look at (overview, models, campaigns, customer
 * lookup), at `<api>/console` on the local stack.
 *
 * LOCAL ONLY. It reads the local model registry directory (<data dir>/models, or
 * MODEL_REGISTRY_URI) and the campaigns directory from disk, and shows personal data (emails,
 * traits, event histories) to whoever can reach the port, with no authentication: the local stack
 * listens on 127.0.0.1. It is deliberately not part of the CDK stack; deploying it would need
 * authentication (e.g. Cognito in front of API Gateway) and the registry read from S3.
 *
 * Logging: nothing here logs request data; a failure reaches the runtime's log by error name only.
 */
export const CONSOLE_PATH = '/console';
export const CONSOLE_FUNCTION_NAME = 'winback-console';

export interface ConsoleOptions {
  readonly dataDir: string;
  /** The stack's table (default TABLE_NAME, which the stack sets). */
  readonly tableName?: string;
  /** Default CAMPAIGNS_DIR, else ./campaigns (campaignsDirFrom), as the CLI resolves it. */
  readonly campaignsDir?: string;
  /** Clock for report `asOf` and previews (tests). */
  readonly now?: () => Date;
}

export function consoleHandler(opts: ConsoleOptions): HttpHandler {
  const ctx = (): ApiContext => ({
    dataDir: opts.dataDir,
    tableName: opts.tableName ?? process.env['TABLE_NAME'] ?? '',
    campaignsDir: campaignsDirFrom(opts.campaignsDir),
    now: opts.now ?? (() => new Date()),
  });
  return async (event: APIGatewayProxyEventV2): Promise<ConsoleResponse> => {
    const method = event.requestContext.http.method;
    if (method !== 'GET' && method !== 'HEAD') {
      return { ...problem(405, 'MethodNotAllowed', 'the console only reads (GET)'), headers: { allow: 'GET, HEAD', 'content-type': 'application/json' } };
    }
    const rest = event.rawPath.slice(CONSOLE_PATH.length);
    try {
      if (rest === '/api' || rest.startsWith('/api/')) {
        return await handleApi(ctx(), rest.slice('/api'.length), event.queryStringParameters ?? {});
      }
      return await serveStatic(rest);
    } catch (err) {
      if (err instanceof ConsoleNotFoundError) return problem(404, err.name, err.message);
      throw err;
    }
  };
}

/**
 * Serves the console under /console on the stack's HTTP port. `winback up` and `winback start`
 * mount it on the stack they run; the stack itself knows nothing of the console.
 */
export function mountConsole(runtime: LocalRuntime, opts: ConsoleOptions): void {
  runtime.addRoute('*', CONSOLE_PATH, consoleHandler(opts), { functionName: CONSOLE_FUNCTION_NAME });
}
