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

  it('lets both rewrite the score snapshots and rewrite or delete the jobs\' objects of the model bucket, and tells them where they are', () => {
    const fns = functionsByService(synth.template);
    for (const service of ['erasure-http', 'process-events']) {
      const [, fn] = fns[service]!;
      const statements = statementsOfFunction(synth.template, fn);
      const resourcesOf = (action: string): string[] =>
        statements.filter((st) => [st.Action].flat().includes(action)).flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));
      expect(resourcesOf('s3:PutObject').join(' '), service).toMatch(/models\/snapshots\/\*/);
      expect(resourcesOf('s3:PutObject').join(' '), service).toMatch(/"\/jobs\/\*/);
      expect(resourcesOf('s3:DeleteObject').join(' '), service).toMatch(/"\/jobs\/\*/);
      expect(resourcesOf('s3:DeleteObject').join(' '), service).not.toMatch(/snapshots/);
      const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env), service).toEqual(expect.arrayContaining(['MODEL_REGISTRY_URI', 'JOB_BUCKET']));
    }
  });
});
