import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * Cross-site request forgery on the local console. The stack listens on 127.0.0.1 and refuses
 * foreign Host names (scripts/local/loopback-guard.ts), but any page the developer has open can
 * still send a POST to a loopback port: the browser delivers it, it only hides the answer. A
 * state-changing route (pausing a campaign) must therefore tell the console's own page from
 * another site's. Browsers mark every POST with `Origin` (and, since 2020-2023 in all engines,
 * `Sec-Fetch-Site`), which a page cannot forge, so:
 *  - `Sec-Fetch-Site`, when sent, must be `same-origin`;
 *  - `Origin`, when sent, must be this server's own origin (`http://` + the Host header, which the
 *    loopback guard has already checked); `Origin: null` (sandboxed frames, file: pages) is refused;
 *  - the body must be declared JSON: a cross-site HTML form cannot send `application/json`, and a
 *    script can only do so after a CORS preflight, which the console never answers with consent.
 * A request with neither header comes from no browser (curl, the CLI): not a forgery by a page.
 */
export class CrossSiteRequestError extends Error {
  override readonly name = 'CrossSiteRequestError';
}

export function checkSameOrigin(event: APIGatewayProxyEventV2): void {
  const headers = lowerCased(event.headers);
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw new CrossSiteRequestError(`a state-changing request must come from the console's own page (Sec-Fetch-Site: ${site})`);
  }
  const origin = headers['origin'];
  if (origin !== undefined) {
    const own = headers['host'] ? `http://${headers['host']}`.toLowerCase() : undefined;
    if (origin.toLowerCase() !== own) {
      throw new CrossSiteRequestError(`a state-changing request must come from the console's own page (Origin: ${origin.slice(0, 100)})`);
    }
  }
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new CrossSiteRequestError('a state-changing request must send Content-Type: application/json');
  }
}

function lowerCased(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}
