import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Config } from '../commons/config.js';
import { httpStatusOf } from '../commons/http.js';
import { logger } from '../commons/logger.js';
import { MethodNotAllowedError, RouteNotFoundError } from '../../kernel/errors.js';
import { getProfile } from '../store/profiles.js';
import { consentAllows } from './eligibility.js';
import { InvalidTokenError } from './errors.js';
import { escapeHtml as e } from './template-language.js';
import { tokenId, verifyToken, type TokenClaims } from './tokens.js';
import { savePreferences, unsubscribeWithToken } from './unsubscribe.js';

/**
 * The pages behind the List-Unsubscribe link (RFC 8058) and the preference centre:
 *
 *   GET  /unsubscribe?token=...   confirmation page with a button; changes nothing (link scanners GET)
 *   POST /unsubscribe?token=...   one click: unsubscribes the token's topic; no cookies, no login.
 *                                 Mail clients send `List-Unsubscribe=One-Click` form-encoded.
 *   GET  /preferences?token=...   a checkbox per topic
 *   POST /preferences             the form (token in a hidden field)
 *
 * Malformed tokens get 400, forged / altered / expired ones 403, each as an HTML page.
 */
export interface UnsubscribeRouteContext {
  readonly config: Config;
  readonly now: () => Date;
}

const MAX_FORM_BYTES = 16 * 1024;

const TOPIC_LABELS: Record<string, string> = {
  '*': 'all emails',
  marketing: 'offers and news',
  rewards: 'rewards and loyalty points',
};
const topicLabel = (topic: string): string => TOPIC_LABELS[topic] ?? topic;

/** a***@example.com: enough for the customer to recognise, nothing for a shoulder-surfer. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

function page(statusCode: number, title: string, body: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The token is in the URL: never leak it to other sites.
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    },
    body: `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${e(title)}</title></head>
<body style="margin:0;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;color:#374151;">
<main style="max-width:480px;margin:40px auto;background:#fff;border-radius:8px;padding:24px 32px;">
<h1 style="font-size:20px;color:#111827;">${e(title)}</h1>
${body}
</main>
</body>
</html>
`,
  };
}

const button = (label: string, name?: string, value?: string): string =>
  `<button type="submit"${name ? ` name="${e(name)}" value="${e(value ?? '')}"` : ''} style="background:#111827;color:#fff;border:0;border-radius:6px;padding:10px 18px;font-size:15px;cursor:pointer;margin:4px 4px 4px 0;">${e(label)}</button>`;

function tokenError(error: InvalidTokenError): APIGatewayProxyStructuredResultV2 {
  const why =
    error.reason === 'expired'
      ? 'This link has expired. Use the link in a more recent email, or contact us and we will unsubscribe you.'
      : 'This link is not valid. Please use the link exactly as it appears in the email.';
  return page(httpStatusOf(error) ?? 403, 'Link not valid', `<p>${e(why)}</p>`);
}

function formBody(event: APIGatewayProxyEventV2): URLSearchParams {
  if (!event.body) return new URLSearchParams();
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return new URLSearchParams(raw.length > MAX_FORM_BYTES ? '' : raw);
}

function readToken(event: APIGatewayProxyEventV2, form?: URLSearchParams): string | undefined {
  const fromQuery = event.queryStringParameters?.['token'];
  return fromQuery ?? form?.get('token') ?? undefined;
}

function verified(token: string | undefined, ctx: UnsubscribeRouteContext): TokenClaims {
  if (!token) throw new InvalidTokenError('the link has no token', 'malformed');
  return verifyToken(token, { now: ctx.now(), ...(ctx.config.UNSUBSCRIBE_SECRET ? { secret: ctx.config.UNSUBSCRIBE_SECRET } : {}) });
}

const storeContext = (ctx: UnsubscribeRouteContext) => ({
  table: ctx.config.TABLE_NAME,
  retentionDays: ctx.config.EVENT_RETENTION_DAYS,
  now: ctx.now(),
});

type Handler = (event: APIGatewayProxyEventV2, ctx: UnsubscribeRouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

const unsubscribeConfirm: Handler = async (event, ctx) => {
  const token = readToken(event);
  const claims = verified(token, ctx);
  const action = `unsubscribe?token=${encodeURIComponent(token!)}`;
  return page(
    200,
    'Unsubscribe',
    `<p>Stop sending ${e(topicLabel(claims.topic))} to <strong>${e(maskEmail(claims.email))}</strong>?</p>
<form method="post" action="${e(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
${button('Unsubscribe')}
</form>
<p style="font-size:13px;"><a href="${e(`preferences?token=${encodeURIComponent(token!)}`)}" style="color:#6b7280;">Choose what you receive instead</a></p>`,
  );
};

const unsubscribeOneClick: Handler = async (event, ctx) => {
  const token = readToken(event, formBody(event));
  const claims = verified(token, ctx);
  const outcome = await unsubscribeWithToken(claims, tokenId(token!), storeContext(ctx));
  logger.info('unsubscribe', { topic: claims.topic, campaignId: claims.campaignId, changed: outcome.changed });
  return page(
    200,
    'You are unsubscribed',
    `<p>You will no longer receive ${e(topicLabel(claims.topic))} at ${e(maskEmail(claims.email))}.</p>
<p style="font-size:13px;"><a href="${e(`preferences?token=${encodeURIComponent(token!)}`)}" style="color:#6b7280;">Manage your email preferences</a></p>`,
  );
};

function topicsShown(ctx: UnsubscribeRouteContext, claims: TokenClaims): string[] {
  const topics = [...ctx.config.CONSENT_TOPICS];
  if (claims.topic !== '*' && !topics.includes(claims.topic)) topics.push(claims.topic);
  return topics;
}

const preferencesPage: Handler = async (event, ctx) => {
  const token = readToken(event);
  const claims = verified(token, ctx);
  const profile = await getProfile(ctx.config.TABLE_NAME, claims.customerId);
  const consent = profile?.consent ?? {};
  const boxes = topicsShown(ctx, claims)
    .map((topic) => {
      const on = consentAllows(consent, topic, false, ctx.config.CONSENT_MODE);
      return `<label style="display:block;margin:8px 0;"><input type="checkbox" name="topic" value="${e(topic)}"${on ? ' checked' : ''}> ${e(topicLabel(topic))}</label>`;
    })
    .join('\n');
  return page(
    200,
    'Email preferences',
    `<p>Emails to <strong>${e(maskEmail(claims.email))}</strong>:</p>
<form method="post" action="preferences">
<input type="hidden" name="token" value="${e(token!)}">
${boxes}
<p>${button('Save preferences', 'action', 'save')} ${button('Unsubscribe from everything', 'action', 'unsubscribe-all')}</p>
</form>`,
  );
};

const preferencesSave: Handler = async (event, ctx) => {
  const form = formBody(event);
  const token = readToken(event, form);
  const claims = verified(token, ctx);
  const chosen = new Set(form.getAll('topic'));
  const topics: Record<string, boolean> = {};
  for (const topic of topicsShown(ctx, claims)) topics[topic] = chosen.has(topic);
  const unsubscribeAll = form.get('action') === 'unsubscribe-all';
  const outcome = await savePreferences(claims, tokenId(token!), { topics, unsubscribeAll }, storeContext(ctx));
  logger.info('preferences saved', { campaignId: claims.campaignId, unsubscribeAll, changed: outcome.changed });
  return page(
    200,
    'Preferences saved',
    unsubscribeAll
      ? `<p>You will no longer receive any emails from us at ${e(maskEmail(claims.email))}.</p>`
      : `<p>Saved. You receive: ${e(
          Object.entries(topics)
            .filter(([, on]) => on)
            .map(([t]) => topicLabel(t))
            .join(', ') || 'nothing',
        )}.</p>`,
  );
};

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/unsubscribe': { GET: unsubscribeConfirm, POST: unsubscribeOneClick },
  '/preferences': { GET: preferencesPage, POST: preferencesSave },
};

/** The paths this handler serves (for the local runtime and the HTTP API routes). */
export const UNSUBSCRIBE_ROUTES = Object.keys(ROUTES);

export async function routeUnsubscribe(event: APIGatewayProxyEventV2, ctx: UnsubscribeRouteContext): Promise<APIGatewayProxyStructuredResultV2> {
  const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
  const methods = ROUTES[path];
  if (!methods) return page(httpStatusOf(new RouteNotFoundError(path))!, 'Not found', '<p>There is no such page.</p>');
  const method = event.requestContext.http.method.toUpperCase();
  const handler = methods[method === 'HEAD' ? 'GET' : method];
  if (!handler) {
    const res = page(httpStatusOf(new MethodNotAllowedError(method))!, 'Method not allowed', `<p>Use ${e(Object.keys(methods).join(' or '))}.</p>`);
    return { ...res, headers: { ...res.headers, allow: Object.keys(methods).join(', ') } };
  }
  try {
    return await handler(event, ctx);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      logger.warn('unsubscribe token rejected', { path, reason: error.reason });
      return tokenError(error);
    }
    throw error;
  }
}
