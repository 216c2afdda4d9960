import { fromAddressFor } from '../../infra/winback-stack.js';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { fanoutDefinition, JOURNEY_STATES, journeyDefinition, LAMBDA_SERVICE_ERRORS } from '../../functions/journeys/state-machine.js';
import { synthesize, synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, functionsByService, resourcesOfType, statementsOfFunction, type CfnResource } from './template-queries.js';

/** asl-validator ships no types: its call signature, as documented. */
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const loaded = createRequire(import.meta.url)('asl-validator') as AslValidator | { default: AslValidator };
const aslValidator: AslValidator = typeof loaded === 'function' ? loaded : loaded.default;

/** The ASL of a synthesized state machine, with each `{ Fn::GetAtt: [id, Arn] }` written as `ARN(<id>)`, each `{ Ref: id }` as `REF(<id>)`. */
function aslOf(machine: CfnResource): Record<string, any> {
  const def = machine.Properties?.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof def === 'string') return JSON.parse(def);
  const text = def['Fn::Join'][1]
    .map((part) =>
      typeof part === 'string'
        ? part
        : 'Ref' in (part as object)
          ? `REF(${(part as { Ref: string }).Ref})`
          : `ARN(${(part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]})`,
    )
    .join('');
  return JSON.parse(text);
}

describe('Campaigns construct', () => {
  let synth: Synthesized;
  let machines: Record<string, CfnResource>;
  let fns: ReturnType<typeof functionsByService>;
  beforeAll(() => {
    synth = synthesizeTemplate();
    machines = Object.fromEntries(
      Object.entries(resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('Campaigns')),
    );
    fns = functionsByService(synth.template);
  });

  const machine = (prefix: string): CfnResource => Object.entries(machines).find(([id]) => id.startsWith(prefix))![1];
  const fnId = (service: string): string => fns[service]![0];

  it('deploys an Express journey machine, a Standard one for waiting journeys and a Standard fan-out, traced and logged without execution data', () => {
    expect(Object.keys(machines)).toHaveLength(3);
    expect(machine('CampaignsJourneyStateMachine').Properties?.StateMachineType).toBe('EXPRESS');
    expect(machine('CampaignsJourneyWaitStateMachine').Properties?.StateMachineType).toBe('STANDARD');
    expect(machine('CampaignsFanoutStateMachine').Properties?.StateMachineType).toBe('STANDARD');
    for (const m of Object.values(machines)) {
      expect(m.Properties?.TracingConfiguration).toEqual({ Enabled: true });
      expect(m.Properties?.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    }
  });

  it('deploys exactly the ASL the local runner executes (same builder, only the ARNs differ)', () => {
    const fns_ = { journey: `ARN(${fnId('campaign-journey')})` };
    const waitId = Object.keys(machines).find((id) => id.startsWith('CampaignsJourneyWaitStateMachine'))!;
    expect(aslOf(machine('CampaignsJourneyWaitStateMachine'))).toEqual(journeyDefinition(fns_));
    // The Express machine hands waiting journeys to the Standard one (its ARN is the Ref of that machine).
    const express = aslOf(machine('CampaignsJourneyStateMachine'));
    expect(express.States[JOURNEY_STATES.handOff].Parameters.StateMachineArn).toBe(`REF(${waitId})`);
    expect(express).toEqual(journeyDefinition(fns_, { express: { waitMachineArn: `REF(${waitId})` } }));
    expect(aslOf(machine('CampaignsFanoutStateMachine'))).toEqual(fanoutDefinition({ fanout: `ARN(${fnId('campaign-fanout')})` }));
  });

  it('synthesizes ASL that asl-validator accepts', () => {
    for (const m of Object.values(machines)) {
      const { isValid, errorsText } = aslValidator(aslOf(m));
      expect(isValid, errorsText('\n')).toBe(true);
    }
  });

  it('retries Lambda service errors on every task and catches every failure into RecordFailure, then Fail', () => {
    for (const prefix of ['CampaignsJourneyStateMachine', 'CampaignsJourneyWaitStateMachine']) {
      const asl = aslOf(machine(prefix));
      const tasks = Object.entries(asl.States as Record<string, any>).filter(([name, s]) => s.Type === 'Task' && name !== JOURNEY_STATES.handOff);
      expect(tasks.map(([name]) => name).sort()).toEqual([JOURNEY_STATES.recordFailure, JOURNEY_STATES.run]);
      checkTasks(asl, tasks);
    }
    // The hand-off: a second start of the name (a re-run Express execution) ends it; anything else is a failure.
    const handOff = aslOf(machine('CampaignsJourneyStateMachine')).States[JOURNEY_STATES.handOff];
    expect(handOff).toMatchObject({ Resource: 'arn:aws:states:::states:startExecution', Parameters: { 'Name.$': '$.journey.name', 'Input.$': '$' } });
    expect(handOff.Catch.map((c: { ErrorEquals: string[]; Next: string }) => [c.ErrorEquals[0], c.Next])).toEqual([
      ['StepFunctions.ExecutionAlreadyExistsException', JOURNEY_STATES.done],
      ['States.ALL', JOURNEY_STATES.recordFailure],
    ]);
    // Waits are wake-up instants computed on the (scalable) journey clock, on the Standard machine only.
    expect(aslOf(machine('CampaignsJourneyWaitStateMachine')).States[JOURNEY_STATES.wait]).toMatchObject({ Type: 'Wait', TimestampPath: '$.journey.wakeAt' });
    expect(aslOf(machine('CampaignsJourneyStateMachine')).States[JOURNEY_STATES.wait]).toBeUndefined();
  });

  function checkTasks(asl: Record<string, any>, tasks: Array<[string, any]>): void {
    for (const [name, state] of tasks) {
      expect(state.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      expect(state.Retry[0].ErrorEquals, name).toEqual([...LAMBDA_SERVICE_ERRORS]);
      expect(state.Retry[0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      const expectedCatch = name === JOURNEY_STATES.recordFailure ? JOURNEY_STATES.failed : JOURNEY_STATES.recordFailure;
      expect(state.Catch, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: expectedCatch })]);
    }
    expect(asl.States[JOURNEY_STATES.recordFailure].Next).toBe(JOURNEY_STATES.failed);
    expect(asl.States[JOURNEY_STATES.failed].Type).toBe('Fail');
  }

  it('fans out with an inline Map over the audience sources, at most 16 at a time', () => {
    const asl = aslOf(machine('CampaignsFanoutStateMachine'));
    const map = asl.States.FanOut;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.sources', MaxConcurrency: 16, ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } } });
    expect(map.Catch[0].Next).toBe('RecordFanoutFailure');
  });

  it('lets each state machine invoke only its own functions, by unqualified ARN', () => {
    const policies = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'));
    const invokeResources = (roleRef: unknown): unknown[] =>
      policies
        .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(roleRef)))
        .flatMap((p) => p.Properties?.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
        .filter((s) => actionsOf([s as never]).includes('lambda:InvokeFunction'))
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    for (const prefix of ['CampaignsJourneyStateMachine', 'CampaignsJourneyWaitStateMachine']) {
      const journeyRole = machine(prefix).Properties?.RoleArn['Fn::GetAtt'][0];
      expect(invokeResources({ Ref: journeyRole })).toEqual([{ 'Fn::GetAtt': [fnId('campaign-journey'), 'Arn'] }]);
    }
    const fanoutRole = machine('CampaignsFanoutStateMachine').Properties?.RoleArn['Fn::GetAtt'][0];
    expect(invokeResources({ Ref: fanoutRole })).toEqual([{ 'Fn::GetAtt': [fnId('campaign-fanout'), 'Arn'] }]);
  });

  it('grants the journey function ses:SendEmail on the identity and the winback configuration set only', () => {
    const ses = statementsOfFunction(synth.template, fns['campaign-journey']![1]).filter((s) => actionsOf([s]).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(ses[0]!.Action).toBe('ses:SendEmail');
    const resources = JSON.stringify(ses[0]!.Resource);
    expect(resources).toMatch(/:identity\/\*"/);
    expect(resources).toMatch(/:configuration-set\/winback"/);
    expect(ses[0]!.Resource).toHaveLength(2);
    // Naming the identity narrows it (and drops the acknowledgement).
    const named = synthesize({ bundling: false, context: { senderIdentity: 'mail.example.com' } });
    const [, send] = functionsByService(named.template)['campaign-journey']!;
    const statement = statementsOfFunction(named.template, send).find((s) => actionsOf([s]).includes('ses:SendEmail'))!;
    expect(JSON.stringify(statement.Resource)).toMatch(/identity\/mail\.example\.com/);
    expect(JSON.stringify(statement.Resource)).not.toMatch(/identity\/\*/);
    // ...and mail goes out from that domain, not from the functions' placeholder address.
    expect(send.Properties?.Environment.Variables.SES_FROM_ADDRESS).toBe('winback@mail.example.com');
    expect(fns['campaign-journey']![1].Properties?.Environment.Variables.SES_FROM_ADDRESS).toBeUndefined();
  });

  it('takes the From address from the context, else from the verified identity', () => {
    expect(fromAddressFor('offers@shop.example', 'shop.example')).toBe('offers@shop.example');
    expect(fromAddressFor(undefined, 'news@shop.example')).toBe('news@shop.example');
    expect(fromAddressFor(undefined, 'shop.example')).toBe('winback@shop.example');
    expect(fromAddressFor(undefined, undefined)).toBeUndefined();
  });

  it('lets the Express journey machine start only the Standard journey machine (the hand-off)', () => {
    const policies = Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'));
    const role = machine('CampaignsJourneyStateMachine').Properties?.RoleArn['Fn::GetAtt'][0];
    const starts = policies
      .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })))
      .flatMap((p) => p.Properties?.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((st) => actionsOf([st as never]).includes('states:StartExecution'));
    const waitId = Object.keys(machines).find((id) => id.startsWith('CampaignsJourneyWaitStateMachine'))!;
    expect(starts.map((st) => st.Resource)).toEqual([{ Ref: waitId }]);
  });

  it('lets the fan-out and the trigger sweep start journeys (and the sweep, fan-outs), nothing else in Step Functions', () => {
    const states = (service: string) =>
      statementsOfFunction(synth.template, fns[service]![1]).filter((s) => actionsOf([s]).some((a) => a.startsWith('states:')));
    expect(states('campaign-fanout').map((s) => s.Action)).toEqual(['states:StartExecution']);
    const sweep = states('campaign-triggers');
    expect(actionsOf(sweep)).toEqual(['states:StartExecution']);
    const targets = JSON.stringify(sweep.map((s) => s.Resource));
    expect(targets).toMatch(/CampaignsJourneyStateMachine/);
    expect(targets).toMatch(/CampaignsFanoutStateMachine/);
    expect(states('campaign-journey')).toEqual([]);
  });

  it('ships the campaign files with every function and points CAMPAIGNS_DIR at them', () => {
    for (const service of ['campaign-journey', 'campaign-fanout', 'campaign-triggers']) {
      expect(fns[service]![1].Properties?.Environment.Variables).toMatchObject({ CAMPAIGNS_DIR: 'campaigns' });
    }
    // Targeting by uplift or expected value: the fan-out reads the uplift champion and scores with TF.js (wasm).
    expect(fns['campaign-fanout']![1].Properties?.Environment.Variables).toMatchObject({
      MODEL_REGISTRY_URI: expect.anything(),
      TFJS_WASM_DIR: '/var/task/wasm',
      WINBACK_TF_BACKEND: 'wasm',
    });
    expect(fns['campaign-triggers']![1].Properties?.Environment.Variables).toMatchObject({
      JOURNEY_STATE_MACHINE_ARN: { Ref: expect.stringMatching(/^CampaignsJourneyStateMachine/) },
      FANOUT_STATE_MACHINE_ARN: { Ref: expect.stringMatching(/^CampaignsFanoutStateMachine/) },
    });
  });
});
