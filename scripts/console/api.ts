import { campaignList, campaignSource } from '../../application/campaign-files.js';
import { customerRecord } from '../../application/customer-record.js';
import { renderPreview } from '../../application/email-preview.js';
import { NotFoundError } from '../../application/errors.js';
import { modelList, openRegistryFor, showVersion } from '../../application/model-registry.js';
import { buildOverview } from '../../application/overview.js';
import { CampaignDefinitionError, CampaignNotFoundError, TemplateError } from '../../functions/campaigns/errors.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import { campaignReport } from '../../functions/journeys/outcomes.js';
import { ValidationError } from '../../kernel/errors.js';
import { NoChampionError, VersionNotFoundError } from '../../models/registry/errors.js';
import { ConsoleBadRequestError, ConsoleNotFoundError } from './errors.js';
import { json, problem, type ConsoleResponse } from './responses.js';

/**
 * The console's JSON API, GET only. Each route answers with the application function (application/),
 * and the JSON shape, of the CLI command named next to it, so the page and `winback ... --json`
 * agree by construction:
 *
 *   /overview                        winback overview --json
 *   /models                          winback model list --json
 *   /models/<version>                winback model show <version> --json
 *   /campaigns                       winback campaigns list --json
 *   /campaigns/<id>                  the campaign file: YAML text, parsed definition, problems
 *   /campaigns/<id>/report[?at=ISO]  winback campaigns report <id> --json
 *   /campaigns/<id>/preview[?customer=ID&step=STEP]   winback campaigns preview, as JSON (nothing sent)
 *   /customers/<id>                  winback customers show <id> --json
 */
export interface ApiContext {
  readonly dataDir: string;
  readonly tableName: string;
  readonly campaignsDir: string;
  readonly now: () => Date;
}

type Params = Readonly<Record<string, string | undefined>>;
type Route = { readonly pattern: RegExp; readonly run: (ctx: ApiContext, parts: string[], query: Params) => Promise<unknown> };

const SEGMENT = '([^/]+)';

const ROUTES: readonly Route[] = [
  { pattern: /^\/overview$/, run: (ctx) => buildOverview(ctx.tableName) },
  { pattern: /^\/models$/, run: async (ctx) => modelList(await openRegistryFor(ctx.dataDir)) },
  { pattern: new RegExp(`^/models/${SEGMENT}$`), run: async (ctx, [version]) => showVersion(await openRegistryFor(ctx.dataDir), version!) },
  { pattern: /^\/campaigns$/, run: (ctx) => campaignList(ctx.campaignsDir) },
  { pattern: new RegExp(`^/campaigns/${SEGMENT}$`), run: (ctx, [id]) => campaignSource(ctx.campaignsDir, id!) },
  {
    pattern: new RegExp(`^/campaigns/${SEGMENT}/report$`),
    run: async (ctx, [id], q) => campaignReport(ctx.tableName, await loadCampaign(ctx.campaignsDir, id!), timeParam(q, 'at') ?? ctx.now()),
  },
  {
    pattern: new RegExp(`^/campaigns/${SEGMENT}/preview$`),
    run: (ctx, [id], q) =>
      renderPreview({
        table: ctx.tableName,
        campaignsDir: ctx.campaignsDir,
        campaignId: id!,
        now: ctx.now(),
        ...(q['customer'] ? { customerId: q['customer'] } : {}),
        ...(q['step'] ? { stepId: q['step'] } : {}),
      }),
  },
  // A customer that is not found is still a 200 with `found: false`, as the CLI prints it: a
  // search for an unknown id is an answer, not a failed request.
  { pattern: new RegExp(`^/customers/${SEGMENT}$`), run: (ctx, [id]) => customerRecord(ctx.tableName, id!) },
];

function timeParam(q: Params, name: string): Date | undefined {
  const raw = q[name];
  if (raw === undefined || raw === '') return undefined;
  const d = new Date(raw);
  if (!Number.isFinite(d.getTime())) throw new ConsoleBadRequestError(`${name} must be an ISO time, got ${raw}`);
  return d;
}

/** `rest` is the path below /console/api. Unknown errors are rethrown: the runtime answers 500 and logs only their name. */
export async function handleApi(ctx: ApiContext, rest: string, query: Params): Promise<ConsoleResponse> {
  for (const route of ROUTES) {
    const m = route.pattern.exec(rest);
    if (!m) continue;
    let parts: string[];
    try {
      parts = m.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      return problem(400, 'BadRequest', 'malformed percent-encoding in the path');
    }
    try {
      return json(200, await route.run(ctx, parts, query));
    } catch (err) {
      const known = knownError(err);
      if (known) return known;
      throw err;
    }
  }
  return problem(404, 'NotFound', `no console API route ${rest}`);
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
