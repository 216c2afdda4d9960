import { beforeAll, describe, expect, it } from 'vitest';
import { ERASURE_PATH, EXPORT_PATH } from '../../functions/erasure-http.js';
import { PRIVACY_PATHS } from '../../infra/constructs/privacy-api.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, functionsByService, resourcesOfType, statementsOfFunction, type CfnResource } from './template-queries.js';

describe('privacy API in the stack', () => {
  let synth: Synthesized;
  let routes: Record<string, CfnResource>;
  beforeAll(() => {
    synth = synthesizeTemplate();
    routes = Object.fromEntries(
      Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route')).map((r) => [r.Properties?.RouteKey as string, r]),
    );
  });

  it('serves the paths the handler answers, each behind the IAM authorizer (never open, never the write key)', () => {
    expect([...PRIVACY_PATHS]).toEqual([ERASURE_PATH, EXPORT_PATH]);
    for (const path of PRIVACY_PATHS) {
      expect(routes[`POST ${path}`]?.Properties?.AuthorizationType, path).toBe('AWS_IAM');
    }
  });

  it('lets the erasure function and the event processor scan and delete (they erase), and read the key', () => {
    const fns = functionsByService(synth.template);
    for (const service of ['erasure-http', 'process-events']) {
      const [, fn] = fns[service]!;
      const actions = actionsOf(statementsOfFunction(synth.template, fn));
      expect(actions, service).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'secretsmanager:GetSecretValue']));
    }
  });
});
