import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { capsFromConfig } from '../../functions/campaigns/eligibility.js';
import { dynamoClient, resetClients, setClients } from '../../functions/commons/clients.js';
import { getConfig, resetConfig } from '../../functions/commons/config.js';
import { campaignById, clearCampaignCache } from '../../functions/journeys/campaign-source.js';
import { journeyExecutionName } from '../../functions/journeys/execution-name.js';
import type { JourneyInput, JourneyState } from '../../functions/journeys/journey-state.js';
import { checkAndSend } from '../../functions/journeys/send-now.js';
import { getEntry } from '../../functions/store/journey-entries.js';
import { customerLedger } from '../../functions/store/ledger.js';
import { LocalStepFunctions } from '../../scripts/local/stepfunctions.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { identify, mailsTo, pointCampaignsAt } from './domain-helpers.js';

/**
 * The send path and the journey machines on the common path: what one send costs in DynamoDB
 * calls (counted by a wrapper around the real client), how many state transitions a one-send
 * journey takes, and exactly-once when the Express machine runs a journey twice (it is
 * at-least-once) or a run is retried.
 */
const TEMPLATES = join(process.cwd(), 'campaigns', 'templates');
const CAMPAIGNS: Record<string, string> = {
  'run-one': `
id: run-one
name: One send
status: active
topic: marketing
trigger: { type: first-order }
holdout: 0
variants: [{ id: a, template: at-risk-nudge }]
steps: [{ id: nudge, send: {} }]
`,
  'run-wait': `
id: run-wait
name: Send, wait, send
status: active
topic: marketing
trigger: { type: first-order }
holdout: 0
variants: [{ id: a, template: winback-offer }]
steps:
  - { id: offer, send: {} }
  - { id: pause, wait: { duration: 3d } }
  - { id: reminder, send: { template: winback-reminder } }
`,
};

/** Counts every command sent through the real client, by name. */
function countingClient(real: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const client = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string } }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return target.send(command as never);
      };
    },
  }) as DynamoDBDocumentClient;
  return { client, counts };
}

describe('journey run: the send path and the common path', () => {
  const stack = useLocalStack();
  let runner: LocalStepFunctions;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'journey-run-'));
    mkdirSync(join(dir, 'templates'));
    for (const f of readdirSync(TEMPLATES)) copyFileSync(join(TEMPLATES, f), join(dir, 'templates', f));
    for (const [id, text] of Object.entries(CAMPAIGNS)) writeFileSync(join(dir, `${id}.yaml`), text);
    pointCampaignsAt(stack());
    // No local stand-in for SES's event publishing: its writes (the feedback path) would be counted as the send's.
    delete process.env['LOCAL_SES_EVENTS_URL'];
    Object.assign(process.env, { CAMPAIGNS_DIR: dir, FREQUENCY_CAP_MAX: '50', QUIET_HOURS_START: '00:00', QUIET_HOURS_END: '00:00' });
    resetConfig();
    clearCampaignCache();
    runner = await LocalStepFunctions.create({ table: stack().tableName, timeScale: 1e-6, concurrency: 8 });
  });

  afterEach(() => resetClients());

  afterAll(async () => {
    await runner?.idle();
    runner?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const k of ['CAMPAIGNS_DIR', 'FREQUENCY_CAP_MAX', 'QUIET_HOURS_START', 'QUIET_HOURS_END', 'JOURNEY_TIME_SCALE']) delete process.env[k];
    resetConfig();
  });

  async function customer(id: string, orderedSku?: string): Promise<string> {
    const email = `${id}@example.com`;
    await identify(stack(), id, { email, firstName: 'Ada', timezone: 'Europe/London' });
    if (orderedSku) {
      const order = await post(stack(), '/v1/orders', {
        orderId: `${id}-o1`,
        status: 'placed',
        customerId: id,
        currency: 'GBP',
        total: 30,
        items: [{ sku: orderedSku, name: 'Walking boots', category: 'boots', quantity: 1, unitPrice: 30 }],
        timestamp: '2026-01-02T00:00:00.000Z',
      });
      expect(order.status).toBe(200);
    }
    await stack().drain();
    return email;
  }

  const input = (campaignId: string, customerId: string, triggerId = 't1'): JourneyInput => ({
    campaignId,
    customerId,
    triggerId,
    trigger: { type: 'manual', at: '2026-01-01T00:00:00.000Z' },
  });

  /** A journey standing at its first send step, entered just now. */
  const atSend = (campaignId: string, customerId: string): JourneyState => {
    const at = new Date().toISOString();
    return {
      ...input(campaignId, customerId),
      journey: { startedAt: at, enteredAt: at, group: 'treatment', variant: 'a', step: { type: 'send', index: 0, id: 'nudge' }, sends: 0, scale: 1 },
    };
  };

  it('checks and sends with one Query of the partition, one suppression BatchGetItem and two ledger writes', async () => {
    // Prepare: a customer with an order (recommendations come from its copy, not the history).
    const email = await customer('path-1', 'SKU-BOOT');
    const config = getConfig();
    const settings = { table: config.TABLE_NAME, publicBaseUrl: config.PUBLIC_BASE_URL, unsubscribeTokenDays: config.UNSUBSCRIBE_TOKEN_DAYS, caps: capsFromConfig(config) };
    const campaign = await campaignById(dir, 'run-one');
    const counting = countingClient(dynamoClient());
    setClients({ dynamo: counting.client });
    // Act
    const out = await checkAndSend(settings, campaign, atSend('run-one', 'path-1'), new Date());
    // Assess: sent, and exactly these calls (no profile, score, ledger or history reads of their own).
    expect(out.eligibility?.decision).toBe('eligible');
    expect(out.send?.status).toBe('sent');
    expect(Object.fromEntries(counting.counts)).toEqual({ Query: 1, BatchGet: 1, Update: 2 });
    const [mail] = await mailsTo(stack(), email);
    expect(mail?.body.text).toContain('Walking boots');
  });

  it('exits on an order since entry from the order copies, without reading the events', async () => {
    // Prepare: the customer enters, then orders.
    await customer('path-2');
    const state = atSend('run-one', 'path-2');
    const order = await post(stack(), '/v1/orders', {
      orderId: 'path-2-o1',
      status: 'placed',
      customerId: 'path-2',
      currency: 'GBP',
      total: 12,
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 12 }],
      timestamp: new Date(Date.parse(state.journey!.enteredAt) + 1).toISOString(),
    });
    expect(order.status).toBe(200);
    await stack().drain();
    const config = getConfig();
    const counting = countingClient(dynamoClient());
    setClients({ dynamo: counting.client });
    // Act
    const settings = { table: config.TABLE_NAME, publicBaseUrl: config.PUBLIC_BASE_URL, unsubscribeTokenDays: config.UNSUBSCRIBE_TOKEN_DAYS, caps: capsFromConfig(config) };
    const out = await checkAndSend(settings, await campaignById(dir, 'run-one'), state, new Date(Date.now() + 1000));
    // Assess: exited before any write; the partition Query and the suppression check only.
    expect(out.eligibility).toEqual({ decision: 'ineligible', reason: 'exited' });
    expect(out.send).toBeUndefined();
    expect(Object.fromEntries(counting.counts)).toEqual({ Query: 1, BatchGet: 1 });
  });

  it('runs a one-send journey in three state transitions on the Express machine, none on Standard', async () => {
    // Prepare
    const email = await customer('path-3');
    const before = { express: { ...runner.stateTransitions.journey }, standard: { ...runner.stateTransitions.journeyWait } };
    // Act
    await runner.startJourney(input('run-one', 'path-3'));
    await runner.idle();
    await new Promise((resolve) => setImmediate(resolve));
    // Assess
    const delta = (after: Record<string, number>, was: Record<string, number>) =>
      Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (was[k] ?? 0)]).filter(([, v]) => v !== 0));
    expect(delta(runner.stateTransitions.journey, before.express)).toEqual({ Task: 1, Choice: 1, Succeed: 1 });
    expect(delta(runner.stateTransitions.journeyWait, before.standard)).toEqual({});
    expect(await mailsTo(stack(), email)).toHaveLength(1);
    expect(await getEntry(stack().tableName, 'run-one', 'path-3', 't1')).toMatchObject({ status: 'completed', sends: 1 });
  });

  it('hands a journey that waits to the Standard machine under the same name, which sends the rest', async () => {
    // Prepare
    const email = await customer('path-4');
    const before = { ...runner.stateTransitions.journeyWait };
    // Act
    await runner.startJourney(input('run-wait', 'path-4'));
    await runner.idle();
    // Assess: offer, then (after the wait, on Standard) reminder; the journey's record is the Standard execution's.
    expect(await mailsTo(stack(), email)).toHaveLength(2);
    expect(await getEntry(stack().tableName, 'run-wait', 'path-4', 't1')).toMatchObject({ status: 'completed', sends: 2 });
    expect(runner.executions.get(journeyExecutionName(input('run-wait', 'path-4')))).toMatchObject({ machine: 'journeyWait', status: 'SUCCEEDED' });
    expect((runner.stateTransitions.journeyWait['Wait'] ?? 0) - (before['Wait'] ?? 0)).toBe(1);
  });

  it('delays a send in quiet hours by handing the journey to the Standard machine, which sends when they end', async () => {
    // Prepare: quiet hours from an hour ago to an hour from now (UTC), a customer in UTC.
    const email = `${'path-6'}@example.com`;
    await identify(stack(), 'path-6', { email, firstName: 'Ada', timezone: 'UTC' });
    await stack().drain();
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    Object.assign(process.env, { QUIET_HOURS_START: hhmm(Date.now() - 3_600_000), QUIET_HOURS_END: hhmm(Date.now() + 3_600_000) });
    resetConfig();
    try {
      // Act
      await runner.startJourney(input('run-one', 'path-6'));
      await runner.idle();
    } finally {
      Object.assign(process.env, { QUIET_HOURS_START: '00:00', QUIET_HOURS_END: '00:00' });
      resetConfig();
    }
    // Assess: delayed, not dropped; the journey ended on the Standard machine.
    expect(await mailsTo(stack(), email)).toHaveLength(1);
    expect(runner.executions.get(journeyExecutionName(input('run-one', 'path-6')))).toMatchObject({ machine: 'journeyWait', status: 'SUCCEEDED' });
    expect(await getEntry(stack().tableName, 'run-one', 'path-6', 't1')).toMatchObject({ status: 'completed', sends: 1 });
  });

  it('sends once when the Express machine runs the same journey twice at once (at-least-once execution)', async () => {
    // Prepare
    const email = await customer('path-5');
    const { handler } = await import('../../functions/campaign-journey.js');
    const context = { functionName: 'winback-campaign-journey', awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    // Act: two executions of the same name and input, side by side, each running the whole journey.
    const outs = (await Promise.all([1, 2].map(() => handler({ action: 'run', state: input('run-one', 'path-5') }, context)))) as JourneyState[];
    // Assess: one email, one ledger item; both runs end.
    expect(await mailsTo(stack(), email)).toHaveLength(1);
    expect((await customerLedger(stack().tableName, 'path-5')).filter((e) => e.status === 'sent')).toHaveLength(1);
    for (const out of outs) expect(out.outcome).toBeDefined();
    expect(await getEntry(stack().tableName, 'run-one', 'path-5', 't1')).toMatchObject({ status: 'completed' });
  });
});
