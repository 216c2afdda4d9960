/**
 * The console's API routes, in API Gateway's path syntax, below CONSOLE_API_PREFIX. One list for
 * both sides: the CDK stack creates exactly these routes (each with the Cognito authorizer), and
 * the console's router (application/console/api.ts) matches requests against the same patterns, so
 * a route cannot exist in one and be missing (or open) in the other. It sits in functions/ because
 * infra may not import application/.
 */
export const CONSOLE_PATH = '/console';
export const CONSOLE_API_PREFIX = `${CONSOLE_PATH}/api`;

/**
 * The Cognito group whose members may change state through the console (pause or resume a
 * campaign). Everyone else signed in reads only.
 */
export const CONSOLE_EDITORS_GROUP = 'winback-editors';

export interface ConsoleApiRoute {
  readonly method: 'GET' | 'POST';
  /** Below CONSOLE_API_PREFIX; `{name}` is one path segment. */
  readonly path: string;
  /** A state-changing route: CONSOLE_EDITORS_GROUP in AWS, a same-origin request locally. */
  readonly write: boolean;
}

export const CONSOLE_API_ROUTES: readonly ConsoleApiRoute[] = [
  { method: 'GET', path: '/overview', write: false },
  { method: 'GET', path: '/models', write: false },
  { method: 'GET', path: '/models/{version}', write: false },
  { method: 'GET', path: '/campaigns', write: false },
  { method: 'GET', path: '/campaigns/{id}', write: false },
  { method: 'GET', path: '/campaigns/{id}/report', write: false },
  { method: 'GET', path: '/campaigns/{id}/preview', write: false },
  { method: 'GET', path: '/campaigns/{id}/pause', write: false },
  { method: 'GET', path: '/customers/{id}', write: false },
  { method: 'GET', path: '/session', write: false },
  { method: 'POST', path: '/campaigns/{id}/pause', write: true },
  { method: 'POST', path: '/campaigns/{id}/resume', write: true },
];

/** The regular expression of a route path: each `{name}` captures one non-empty segment. */
export function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (/^\{[a-z]+\}$/i.test(segment) ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
