import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpHandler, LocalRuntime } from '../local/runtime.js';
import { campaignsDirFrom } from '../../application/campaign-files.js';
import { handleApi, type ApiContext, type ConsolePrincipal } from '../../application/console/api.js';
import { ConsoleNotFoundError } from '../../application/console/errors.js';
import { json, problem, type ConsoleResponse } from '../../application/console/responses.js';
import { CONSOLE_PATH } from '../../functions/console/routes.js';
import { checkSameOrigin, CrossSiteRequestError } from './csrf.js';
import { serveStatic } from './static-files.js';

/**
 * The console: what marketers and data scientists look at (overview, models, campaigns, customer
 * lookup), at `<api>/console` on the local stack.
 *
 * Locally it reads the local model registry directory (<data dir>/models, or MODEL_REGISTRY_URI)
 * and the campaigns directory from disk, and shows personal data (emails, traits, event
 * histories) to whoever can reach the port, with no sign-in: the local stack listens on 127.0.0.1
 * and answers loopback Host names only. The local operator may use the write routes (pause a
 * campaign), but only from the console's own page (scripts/console/csrf.ts). In AWS the same API
 * runs as a Lambda behind Cognito (application/console/lambda.ts, infra/constructs/console.ts).
 *
 * Logging: nothing here logs request data; a failure reaches the runtime's log by error name only.
 */
export { CONSOLE_PATH };
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

/** Whoever reaches 127.0.0.1 runs the stack: they may read and, from the console's page, write. */
const LOCAL_OPERATOR: ConsolePrincipal = { mode: 'local', canWrite: true, actor: 'local' };

export function consoleHandler(opts: ConsoleOptions): HttpHandler {
  const ctx = (): ApiContext => ({
    dataDir: opts.dataDir,
    tableName: opts.tableName ?? process.env['TABLE_NAME'] ?? '',
    campaignsDir: campaignsDirFrom(opts.campaignsDir),
    now: opts.now ?? (() => new Date()),
  });
  return async (event: APIGatewayProxyEventV2): Promise<ConsoleResponse> => {
    const method = event.requestContext.http.method;
    const rest = event.rawPath.slice(CONSOLE_PATH.length);
    const api = rest === '/api' || rest.startsWith('/api/');
    if (!api && method !== 'GET' && method !== 'HEAD') {
      return { ...problem(405, 'MethodNotAllowed', 'console pages are only read (GET)'), headers: { allow: 'GET, HEAD', 'content-type': 'application/json' } };
    }
    try {
      if (api) {
        return await handleApi(ctx(), {
          method,
          rest: rest.slice('/api'.length),
          query: event.queryStringParameters ?? {},
          principal: LOCAL_OPERATOR,
          // A state-changing route must be asked for by the console's own page.
          checkWrite: () => checkSameOrigin(event),
        });
      }
      // The deployed console gets its config.json at deploy (Cognito sign-in); here: no sign-in.
      if (rest === '/config.json') return json(200, { auth: 'local' });
      return await serveStatic(rest);
    } catch (err) {
      if (err instanceof ConsoleNotFoundError) return problem(404, err.name, err.message);
      if (err instanceof CrossSiteRequestError) return problem(403, err.name, err.message);
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
