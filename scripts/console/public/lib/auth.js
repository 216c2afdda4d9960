/**
 * Sign-in of the deployed console. The deployment writes /console/config.json (Cognito's Hosted UI,
 * the app client, the redirect URI); the local stack answers it with { auth: 'local' }, so locally
 * nothing changes: no sign-in, same-origin requests only (the local server checks writes' origin).
 *
 * Deployed: OAuth 2.0 authorization code grant with PKCE (RFC 7636) through the Hosted UI. The app
 * client is public (no secret can be kept in a page), so the code is bound to this tab by a random
 * verifier whose SHA-256 went with the authorization request; `state` ties the answer to the
 * request. The access token (sub and groups, no email) is kept in sessionStorage, for this tab
 * only, until it expires (1 hour), then the Hosted UI is visited again (its own session cookie
 * usually makes that a redirect without a prompt). No refresh token is kept in the page.
 */
const TOKEN_KEY = 'winback.console.token';
const PENDING_KEY = 'winback.console.pending';

let config = null;

function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function loadConfig() {
  const res = await fetch('/console/config.json', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`cannot read the console's configuration (${res.status})`);
  const body = await res.json();
  return body.auth === 'cognito' ? body : null;
}

function storedToken() {
  try {
    const t = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    // A minute of margin: a token about to expire would fail mid-page.
    return t && t.expiresAt - 60_000 > Date.now() ? t.accessToken : null;
  } catch {
    return null;
  }
}

/** Sends the tab to the Hosted UI; the promise never resolves (the page is left). */
export async function signIn() {
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${config.hostedUiUrl}/oauth2/authorize?${q}`);
  return new Promise(() => {});
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (!config) return;
  location.assign(`${config.hostedUiUrl}/logout?${new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri })}`);
}

/** Back from the Hosted UI with ?code=&state=: exchanges the code for tokens at /oauth2/token. */
async function completeSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  if (!pending || pending.state !== params.get('state')) throw new Error('sign-in answer does not match this tab’s request; sign in again');
  const res = await fetch(`${config.hostedUiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code: params.get('code'),
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`sign-in failed (${res.status}); sign in again`);
  const tokens = await res.json();
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ accessToken: tokens.access_token, expiresAt: Date.now() + tokens.expires_in * 1000 }));
  // Drop code and state from the address bar (and from history), back to the page asked for.
  history.replaceState(null, '', `${location.pathname}${pending.hash ?? ''}`);
}

/**
 * Before the first API call: local -> { mode: 'local' }; deployed -> a valid token (signing in
 * first if needed) -> { mode: 'cognito' }.
 */
export async function initAuth() {
  config = await loadConfig();
  if (!config) return { mode: 'local' };
  const params = new URLSearchParams(location.search);
  if (params.has('error')) throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (params.has('code')) await completeSignIn(params);
  if (!storedToken()) await signIn();
  return { mode: 'cognito' };
}

/** The Authorization header of API calls ({} locally). */
export function authHeaders() {
  const token = config ? storedToken() : null;
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** An API call answered 401: the token expired or was revoked. */
export function onUnauthorized() {
  if (!config) return;
  sessionStorage.removeItem(TOKEN_KEY);
  void signIn();
}
