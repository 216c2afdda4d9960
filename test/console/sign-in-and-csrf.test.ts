import path from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleApi, handler } from '../../application/console/lambda.js';
import type { ConsoleResponse } from '../../application/console/responses.js';
import { resetConfig } from '../../functions/commons/config.js';
import { CONSOLE_EDITORS_GROUP } from '../../functions/console/routes.js';
import { campaignById, clearCampaignCache } from '../../functions/journeys/campaign-source.js';
import { getCampaignPause } from '../../functions/store/campaign-pauses.js';
import { mountConsole } from '../../scripts/console/mount.js';
import { useLocalStack } from '../helpers/stack.js';

/**
 * Who may change state through the console. Locally (127.0.0.1): only the console's own page, not
 * another site the developer has open (CSRF), through the real HTTP server of the local stack. In
 * AWS: the Lambda behind the Cognito authorizer refuses requests without verified claims and
 * writes by users outside the editors' group. Both write the pause switch to the real table
 * (dynalite) and the test reads it back.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const CAMPAIGN = 'high-value-winback';
const stack = useLocalStack();
let base = '';

beforeAll(() => {
  mountConsole(stack().runtime, { dataDir: stack().dataDir, tableName: stack().tableName, campaignsDir: path.join(ROOT, 'campaigns') });
  base = stack().apiUrl.replace(/\/$/, '');
});

const post = (p: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${base}/console/api${p}`, { method: 'POST', headers, body: '{}' });
const paused = async (): Promise<boolean> => (await getCampaignPause(stack().tableName, CAMPAIGN))?.paused ?? false;

describe('local console: state changes only from its own page', () => {
  it('refuses a cross-site POST (403) and changes nothing', async () => {
    const res = await post(`/campaigns/${CAMPAIGN}/pause`, {
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'application/json',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('CrossSiteRequestError');
    expect(await paused()).toBe(false);
  });

  it('refuses a foreign Origin alone, Origin null, and a form-encodable body without any header', async () => {
    const attempts: Record<string, string>[] = [
      { origin: 'http://127.0.0.1.evil.example', 'content-type': 'application/json' },
      { origin: 'null', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
      // What an HTML form can send cross-site without a preflight: no JSON type.
      { 'content-type': 'text/plain' },
    ];
    for (const headers of attempts) {
      expect((await post(`/campaigns/${CAMPAIGN}/pause`, headers)).status, JSON.stringify(headers)).toBe(403);
    }
    expect(await paused()).toBe(false);
  });

  it('accepts the same POST from its own page, idempotently, and resumes', async () => {
    const own = { origin: base, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' };
    for (let i = 0; i < 2; i++) {
      const res = await post(`/campaigns/${CAMPAIGN}/pause`, own);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ campaignId: CAMPAIGN, paused: true, changedBy: 'local' });
    }
    const shown = (await (await fetch(`${base}/console/api/campaigns/${CAMPAIGN}/pause`)).json()) as { paused: boolean };
    expect(shown.paused).toBe(true);
    expect((await post(`/campaigns/${CAMPAIGN}/resume`, own)).status).toBe(200);
    expect(await paused()).toBe(false);
    // A switch for a campaign that does not exist is not created.
    expect((await post('/campaigns/no-such-campaign/pause', own)).status).toBe(404);
    expect(await getCampaignPause(stack().tableName, 'no-such-campaign')).toBeUndefined();
  });

  it('tells the page it runs locally, without sign-in', async () => {
    expect(await (await fetch(`${base}/console/config.json`)).json()).toEqual({ auth: 'local' });
    expect(await (await fetch(`${base}/console/api/session`)).json()).toMatchObject({ mode: 'local', canWrite: true });
  });
});

describe('console Lambda (behind the Cognito authorizer)', () => {
  beforeAll(() => {
    process.env['TABLE_NAME'] = stack().tableName;
    process.env['CAMPAIGNS_DIR'] = path.join(ROOT, 'campaigns');
    resetConfig();
  });

  /** An API Gateway v2 event as the JWT authorizer passes it (lists flattened to "[a b]"). */
  const event = (method: string, p: string, claims?: Record<string, string>): APIGatewayProxyEventV2 =>
    ({
      rawPath: `/console/api${p}`,
      routeKey: `${method} /console/api${p}`,
      headers: {},
      requestContext: { http: { method }, ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}) },
    }) as unknown as APIGatewayProxyEventV2;
  const call = async (e: APIGatewayProxyEventV2): Promise<ConsoleResponse> => (await handler(e, {} as Context)) as ConsoleResponse;
  const reader = { sub: 'sub-reader', 'cognito:groups': '[marketing]' };
  const editor = { sub: 'sub-editor', 'cognito:groups': `[marketing ${CONSOLE_EDITORS_GROUP}]` };

  it('refuses a request that reached it without verified claims (401), whatever the route', async () => {
    for (const [method, p] of [['GET', '/overview'], ['GET', '/session'], ['POST', `/campaigns/${CAMPAIGN}/pause`]] as const) {
      const res = await consoleApi(event(method, p));
      expect(res.statusCode, p).toBe(401);
      expect(res.headers?.['www-authenticate']).toBe('Bearer');
    }
    expect(await paused()).toBe(false);
  });

  it('lets a signed-in reader read but not write (403)', async () => {
    const session = await call(event('GET', '/session', reader));
    expect(JSON.parse(session.body!)).toEqual({ mode: 'cognito', canWrite: false, editorsGroup: CONSOLE_EDITORS_GROUP });
    expect((await call(event('GET', `/campaigns/${CAMPAIGN}/pause`, reader))).statusCode).toBe(200);
    const refused = await call(event('POST', `/campaigns/${CAMPAIGN}/pause`, reader));
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body!).message).toContain(CONSOLE_EDITORS_GROUP);
    expect(await paused()).toBe(false);
  });

  it("lets an editor pause, recording the Cognito subject (no email), and reads a group list in either form", async () => {
    const res = await call(event('POST', `/campaigns/${CAMPAIGN}/pause`, editor));
    expect(res.statusCode).toBe(200);
    expect(await getCampaignPause(stack().tableName, CAMPAIGN)).toMatchObject({ paused: true, changedBy: 'sub-editor' });
    // The journey functions see the active campaign as paused: no new journey enters it.
    clearCampaignCache();
    expect((await campaignById(path.join(ROOT, 'campaigns'), CAMPAIGN)).status).toBe('paused');
    const single = await call(event('POST', `/campaigns/${CAMPAIGN}/resume`, { sub: 'sub-2', 'cognito:groups': CONSOLE_EDITORS_GROUP }));
    expect(single.statusCode).toBe(200);
    expect(await paused()).toBe(false);
    clearCampaignCache();
    expect((await campaignById(path.join(ROOT, 'campaigns'), CAMPAIGN)).status).toBe('active');
  });
});
