import { campaignList, campaignSource } from '../campaign-files.js';
import { customerRecord } from '../customer-record.js';
import { renderPreview } from '../email-preview.js';
import { NotFoundError } from '../errors.js';
import { modelList, openRegistryFor, showVersion } from '../model-registry.js';
import { buildOverview } from '../overview.js';
import { CampaignDefinitionError, CampaignNotFoundError, TemplateError } from '../../functions/campaigns/errors.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import { campaignReport } from '../../functions/journeys/outcomes.js';
import { ValidationError } from '../../kernel/errors.js';
import { NoChampionError, VersionNotFoundError } from '../../models/registry/errors.js';
import { CONSOLE_API_ROUTES, CONSOLE_EDITORS_GROUP, routePattern } from '../../functions/console/routes.js';
import { getCampaignPause, setCampaignPause, type CampaignPause } from '../../functions/store/campaign-pauses.js';
import { ConsoleBadRequestError, ConsoleNotFoundError } from './errors.js';
import { json, problem, type ConsoleResponse } from './responses.js';

/**
 * The console's JSON API, the same behind the local stack (scripts/console/mount.ts) and in AWS
 * (application/console/lambda.ts). Its routes are CONSOLE_API_ROUTES (functions/console/routes.ts),
 * the list the CDK stack also creates. Each read route answers with the application function
 * (application/), and the JSON shape, of the CLI command named next to it, so the page and
 * `winback ... --json` agree by construction:
 *
 *   GET /overview                        winback overview --json
 *   GET /models                          winback model list --json
 *   GET /models/<version>                winback model show <version> --json
 *   GET /campaigns                       winback campaigns list --json
 *   GET /campaigns/<id>                  the campaign file: YAML text, parsed definition, problems
 *   GET /campaigns/<id>/pause            the console's pause switch ({ paused: false } if never used)
 *   GET /campaigns/<id>/report[?at=ISO]  winback campaigns report <id> --json
 *   GET /campaigns/<id>/preview[?customer=ID&step=STEP]   winback campaigns preview, as JSON (nothing sent)
 *   GET /customers/<id>                  winback customers show <id> --json
 *   GET /session                         who may do what: { mode, canWrite, editorsGroup }
 *   POST /campaigns/<id>/pause, /resume  the console's pause switch (write: editors only)
 *
 * Who may write is decided by the caller and passed in as `principal` (the Cognito group in AWS,
 * the local operator on 127.0.0.1, after the same-origin check of scripts/console/csrf.ts).
 */
export interface ApiContext {
  readonly dataDir: string;
  readonly tableName: string;
  readonly campaignsDir: string;
  readonly now: () => Date;
}

export interface ConsolePrincipal {
  /** 'local': the stack on 127.0.0.1; 'cognito': a signed-in user of the deployed console. */
  readonly mode: 'local' | 'cognito';
  /** Member of CONSOLE_EDITORS_GROUP (always true locally). */
  readonly canWrite: boolean;
  /** Recorded with a change: the Cognito subject (a pseudonymous id, no email) or 'local'. */
  readonly actor: string;
}

export interface ApiRequest {
  readonly method: string;
  /** The path below /console/api. */
  readonly rest: string;
  readonly query: Params;
  readonly principal: ConsolePrincipal;
  /**
   * Called before a write route runs (after the route and method matched): throws to refuse the
   * request. The local console checks there that the request comes from its own page.
   */
  readonly checkWrite?: () => void;
}

type Params = Readonly<Record<string, string | undefined>>;
type Run = (ctx: ApiContext, parts: string[], query: Params, principal: ConsolePrincipal) => Promise<unknown>;

const RUNS: Readonly<Record<string, Run>> = {
  'GET /overview': (ctx) => buildOverview(ctx.tableName),
  'GET /models': async (ctx) => modelList(await openRegistryFor(ctx.dataDir)),
  'GET /models/{version}': async (ctx, [version]) => showVersion(await openRegistryFor(ctx.dataDir), version!),
  'GET /campaigns': (ctx) => campaignList(ctx.campaignsDir),
  'GET /campaigns/{id}': (ctx, [id]) => campaignSource(ctx.campaignsDir, id!),
  'GET /campaigns/{id}/pause': async (ctx, [id]) => {
    await loadCampaign(ctx.campaignsDir, id!);
    return (await getCampaignPause(ctx.tableName, id!)) ?? { campaignId: id!, paused: false };
  },
  'GET /campaigns/{id}/report': async (ctx, [id], q) =>
    campaignReport(ctx.tableName, await loadCampaign(ctx.campaignsDir, id!), timeParam(q, 'at') ?? ctx.now()),
  'GET /campaigns/{id}/preview': (ctx, [id], q) =>
    renderPreview({
      table: ctx.tableName,
      campaignsDir: ctx.campaignsDir,
      campaignId: id!,
      now: ctx.now(),
      ...(q['customer'] ? { customerId: q['customer'] } : {}),
      ...(q['step'] ? { stepId: q['step'] } : {}),
    }),
  // A customer that is not found is still a 200 with `found: false`, as the CLI prints it: a
  // search for an unknown id is an answer, not a failed request.
  'GET /customers/{id}': (ctx, [id]) => customerRecord(ctx.tableName, id!),
  'GET /session': async (_ctx, _parts, _q, p) => ({ mode: p.mode, canWrite: p.canWrite, editorsGroup: CONSOLE_EDITORS_GROUP }),
  'POST /campaigns/{id}/pause': (ctx, [id], _q, p) => setPause(ctx, id!, true, p),
  'POST /campaigns/{id}/resume': (ctx, [id], _q, p) => setPause(ctx, id!, false, p),
};

const ROUTES = CONSOLE_API_ROUTES.map((route) => {
  const run = RUNS[`${route.method} ${route.path}`];
  if (!run) throw new Error(`console route ${route.method} ${route.path} has no handler`);
  return { ...route, pattern: routePattern(route.path), run };
});

/** Pausing needs an existing campaign (a typo must not create a switch for nothing). */
async function setPause(ctx: ApiContext, campaignId: string, paused: boolean, principal: ConsolePrincipal): Promise<CampaignPause> {
  await loadCampaign(ctx.campaignsDir, campaignId);
  return setCampaignPause(ctx.tableName, { campaignId, paused, changedAt: ctx.now().toISOString(), changedBy: principal.actor });
}

function timeParam(q: Params, name: string): Date | undefined {
  const raw = q[name];
  if (raw === undefined || raw === '') return undefined;
  const d = new Date(raw);
  if (!Number.isFinite(d.getTime())) throw new ConsoleBadRequestError(`${name} must be an ISO time, got ${raw}`);
  return d;
}

/**
 * Answers one console API request. A path no route has is a 404; a known path with another
 * method a 405; a write by a principal outside the editors' group a 403. Unknown errors are
 * rethrown: the caller answers 500 and logs only their name.
 */
export async function handleApi(ctx: ApiContext, request: ApiRequest): Promise<ConsoleResponse> {
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const matching = ROUTES.map((route) => ({ route, match: route.pattern.exec(request.rest) })).filter((m) => m.match);
  if (matching.length === 0) return problem(404, 'NotFound', `no console API route ${request.rest}`);
  const found = matching.find((m) => m.route.method === method);
  if (!found) {
    const allow = [...new Set(matching.map((m) => m.route.method))].join(', ');
    return { ...problem(405, 'MethodNotAllowed', `${request.rest} answers ${allow}`), headers: { allow, 'content-type': 'application/json', 'cache-control': 'no-store' } };
  }
  if (found.route.write) request.checkWrite?.();
  if (found.route.write && !request.principal.canWrite) {
    return problem(403, 'Forbidden', `changing state needs membership of the ${CONSOLE_EDITORS_GROUP} group`);
  }
  let parts: string[];
  try {
    parts = found.match!.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    return problem(400, 'BadRequest', 'malformed percent-encoding in the path');
  }
  try {
    return json(200, await found.route.run(ctx, parts, request.query, request.principal));
  } catch (err) {
    const known = knownError(err);
    if (known) return known;
    throw err;
  }
}

function knownError(err: unknown): ConsoleResponse | undefined {
  if (err instanceof ConsoleNotFoundError || err instanceof NotFoundError || err instanceof VersionNotFoundError || err instanceof CampaignNotFoundError) {
    return problem(404, err.name, err.message);
  }
  if (err instanceof NoChampionError) return problem(404, err.name, err.message);
  if (err instanceof ConsoleBadRequestError || err instanceof ValidationError) return problem(400, err.name, err.message);
  if (err instanceof CampaignDefinitionError || err instanceof TemplateError) return problem(422, err.name, err.message);
  return undefined;
}
