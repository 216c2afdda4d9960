import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignGroup } from '../../functions/campaigns/assignment.js';
import { RetryableError, WinbackError } from '../../kernel/errors.js';
import { resetConfig } from '../../functions/commons/config.js';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, resetClients, setClients } from '../../functions/commons/clients.js';
import { customerLedger } from '../../functions/store/ledger.js';
import { clearCampaignCache } from '../../functions/journeys/campaign-source.js';
import { getEntry, listEntries } from '../../functions/store/journey-entries.js';
import { journeyExecutionName } from '../../functions/journeys/execution-name.js';
import type { JourneyInput } from '../../functions/journeys/journey-state.js';
import { LocalStepFunctions } from '../../scripts/local/stepfunctions.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { identify, mailsTo, pointCampaignsAt } from './domain-helpers.js';

/**
 * The journey state machines (the ASL CDK deploys: Express, handing waiting journeys to Standard)
 * run by aws-local-stepfunctions against the local stack: real handlers, DynamoDB, SES emulator
 * and the email-event path.
 * Journey clock scale 1e-6: a 3-day wait takes 0.26 s, a 30-day wait 2.6 s.
 */
const TEMPLATES = join(process.cwd(), 'campaigns', 'templates');

const CAMPAIGNS: Record<string, string> = {
  'journey-reminder': `
id: journey-reminder
name: Offer and reminder
status: active
topic: marketing
trigger: { type: first-order }
holdout: 0.5
variants: [{ id: a, template: winback-offer }]
steps:
  - { id: offer, send: {} }
  - { id: pause, wait: { duration: 3d } }
  - { id: reminder, send: { template: winback-reminder } }
rewards: { coupon: { percentOff: 20, expiresInDays: 14, prefix: WB20 } }
`,
  'journey-convert': `
id: journey-convert
name: Exit on order
status: active
topic: marketing
trigger: { type: first-order }
variants: [{ id: a, template: winback-offer }]
steps:
  - { id: offer, send: {} }
  - { id: pause, wait: { duration: 30d } }
  - { id: reminder, send: { template: winback-reminder } }
rewards: { coupon: { percentOff: 20, expiresInDays: 14, prefix: WB20 } }
goal: { event: { kind: order, name: placed }, attributionWindow: 30d }
`,
  'journey-segment': `
id: journey-segment
name: Segment fan-out
status: active
topic: marketing
trigger: { type: schedule, cron: "0 10 * * 1" }
audience: { traits: { equals: { segment: fanout-vip } } }
variants: [{ id: a, template: at-risk-nudge }]
steps: [{ id: nudge, send: {} }]
`,
};

class SimulatedOutage extends WinbackError {}

describe('journey orchestration (local Step Functions)', () => {
  const stack = useLocalStack();
  let runner: LocalStepFunctions;
  let dir: string;
  /** The ledger claim (the send) fails for these customers; RetryableError `n` times for those in `flaky`. */
  const failFor = new Set<string>();
  const flaky = new Map<string, number>();

  beforeAll(async () => {
    // Prepare: campaign files in a temp dir, the config pointed at the stack, the runner.
    dir = mkdtempSync(join(tmpdir(), 'journey-campaigns-'));
    mkdirSync(join(dir, 'templates'));
    for (const f of readdirSync(TEMPLATES)) copyFileSync(join(TEMPLATES, f), join(dir, 'templates', f));
    for (const [id, text] of Object.entries(CAMPAIGNS)) writeFileSync(join(dir, `${id}.yaml`), text);
    pointCampaignsAt(stack());
    process.env['CAMPAIGNS_DIR'] = dir;
    process.env['FREQUENCY_CAP_MAX'] = '50';
    resetConfig();
    clearCampaignCache();
    // Fault injection around the real client: the send's ledger claim fails for chosen customers.
    const real = dynamoClient();
    const faulty = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof UpdateCommand && String(command.input.Key?.['sk']).startsWith('SEND#')) {
            const customerId = String(command.input.Key?.['pk']).slice('C#'.length);
            if (failFor.has(customerId)) throw new SimulatedOutage('send refused by the test');
            const left = flaky.get(customerId) ?? 0;
            if (left > 0) {
              flaky.set(customerId, left - 1);
              throw new RetryableError('throttled (test)');
            }
          }
          return target.send(command as never);
        };
      },
    }) as DynamoDBDocumentClient;
    setClients({ dynamo: faulty });
    runner = await LocalStepFunctions.create({ table: stack().tableName, timeScale: 1e-6, concurrency: 8 });
  });

  afterAll(async () => {
    await runner?.idle();
    runner?.close();
    resetClients();
    rmSync(dir, { recursive: true, force: true });
    for (const k of ['CAMPAIGNS_DIR', 'FREQUENCY_CAP_MAX', 'JOURNEY_TIME_SCALE']) delete process.env[k];
    resetConfig();
  });

  /** Customer ids of a given group in a campaign (assignment is a pure hash: found, not forced). */
  function pick(campaignId: string, group: 'holdout' | 'treatment', prefix: string): string {
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      if (assignGroup(campaignId, id, 0.5, [{ id: 'a', weight: 1 }]).group === group) return id;
    }
  }

  async function customer(id: string, traits: Record<string, unknown> = {}): Promise<string> {
    const email = `${id}@example.com`;
    await identify(stack(), id, { email, firstName: 'Ada', timezone: 'Europe/London', ...traits });
    await stack().drain();
    return email;
  }

  const entry = (campaignId: string, customerId: string, triggerId = 't1'): JourneyInput => ({
    campaignId,
    customerId,
    triggerId,
    trigger: { type: 'manual', at: '2026-01-01T00:00:00.000Z' },
  });

  it('starts one journey for a duplicated trigger (same execution name)', async () => {
    // Prepare
    const id = pick('journey-reminder', 'treatment', 'dup');
    const email = await customer(id);
    // Act: the same trigger delivered three times, concurrently.
    const starts = await Promise.all([1, 2, 3].map(() => runner.startJourney(entry('journey-reminder', id))));
    await runner.idle();
    // Assess: one start, two duplicates, one entry, one journey's worth of mail (offer + reminder).
    expect(starts.filter((s) => s.started)).toHaveLength(1);
    expect(new Set(starts.map((s) => s.executionName))).toEqual(new Set([journeyExecutionName(entry('journey-reminder', id))]));
    expect((await listEntries(stack().tableName, 'journey-reminder')).filter((e) => e.customerId === id)).toHaveLength(1);
    expect(await mailsTo(stack(), email)).toHaveLength(2);
    // A later duplicate, after the journey ended, starts nothing either.
    expect((await runner.startJourney(entry('journey-reminder', id))).started).toBe(false);
  });

  it('sends the offer and, after the wait, the reminder to treatment; nothing to holdout', async () => {
    // Prepare
    const treated = pick('journey-reminder', 'treatment', 'rem');
    const held = pick('journey-reminder', 'holdout', 'rem');
    const [treatedEmail, heldEmail] = [await customer(treated), await customer(held)];
    // Act
    await runner.startJourney(entry('journey-reminder', treated));
    await runner.startJourney(entry('journey-reminder', held));
    await runner.idle();
    // Assess
    const mails = await mailsTo(stack(), treatedEmail);
    expect(mails).toHaveLength(2);
    expect(mails[0]!.subject).toMatch(/20%/);
    expect(mails[1]!.subject).toMatch(/expires/);
    expect(await mailsTo(stack(), heldEmail)).toHaveLength(0);
    const [t, h] = await Promise.all([
      getEntry(stack().tableName, 'journey-reminder', treated, 't1'),
      getEntry(stack().tableName, 'journey-reminder', held, 't1'),
    ]);
    expect(t).toMatchObject({ group: 'treatment', status: 'completed', sends: 2 });
    // The holdout walked the whole journey (both sends recorded as holdout, none sent).
    expect(h).toMatchObject({ group: 'holdout', status: 'completed', sends: 0 });
    // The SES Send and Delivery events came back through ingestion, tagged with the campaign.
    await stack().drain();
    const execution = runner.executions.get(journeyExecutionName(entry('journey-reminder', treated)));
    expect(execution?.status).toBe('SUCCEEDED');
  });

  it('exits as converted when the customer orders during the wait (no reminder)', async () => {
    // Prepare
    const id = 'conv-1';
    const email = await customer(id);
    // Act: start; as soon as the offer is in the inbox, the customer orders.
    await runner.startJourney(entry('journey-convert', id));
    for (let i = 0; i < 100 && (await mailsTo(stack(), email)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const order = await post(stack(), '/v1/orders', {
      orderId: 'conv-order-1',
      status: 'placed',
      customerId: id,
      currency: 'GBP',
      total: 42,
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 42 }],
      timestamp: new Date().toISOString(),
    });
    expect(order.status).toBe(200);
    await stack().drain();
    await runner.idle();
    // Assess: one email, the journey ended on its goal.
    expect(await mailsTo(stack(), email)).toHaveLength(1);
    expect(await getEntry(stack().tableName, 'journey-convert', id, 't1')).toMatchObject({ status: 'converted', reason: 'goal', sends: 1 });
  });

  it('records a failure on the entry and fails the execution (never dropped)', async () => {
    // Prepare
    const id = pick('journey-reminder', 'treatment', 'fail');
    const email = await customer(id);
    failFor.add(id);
    // Act
    await runner.startJourney(entry('journey-reminder', id));
    await runner.idle();
    // Assess
    expect(await mailsTo(stack(), email)).toHaveLength(0);
    const recorded = await getEntry(stack().tableName, 'journey-reminder', id, 't1');
    expect(recorded).toMatchObject({ status: 'failed', reason: 'offer' });
    expect(recorded?.error).toMatch(/^SimulatedOutage: send refused by the test/);
    const execution = runner.executions.get(journeyExecutionName(entry('journey-reminder', id)));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'JourneyFailed' });
  });

  it('retries a retryable failure and sends exactly once', async () => {
    // Prepare
    const id = pick('journey-reminder', 'treatment', 'flaky');
    const email = await customer(id);
    flaky.set(id, 2);
    // Act
    await runner.startJourney(entry('journey-reminder', id));
    await runner.idle();
    // Assess: two throttles absorbed by the state machine's Retry, then offer + reminder once each.
    expect(flaky.get(id)).toBe(0);
    expect(await mailsTo(stack(), email)).toHaveLength(2);
    expect(await getEntry(stack().tableName, 'journey-reminder', id, 't1')).toMatchObject({ status: 'completed', sends: 2 });
  });

  it('fans a segment run out over the registry shards (Map), one journey per member, once per run id', async () => {
    // Prepare: two members of the segment, one outsider.
    const members = ['seg-1', 'seg-2'];
    const emails = [await customer('seg-1', { segment: 'fanout-vip' }), await customer('seg-2', { segment: 'fanout-vip' })];
    const outsider = await customer('seg-3', { segment: 'other' });
    // Act: the same run twice.
    const first = await runner.startFanout({ campaignId: 'journey-segment', runId: 'r1' });
    const second = await runner.startFanout({ campaignId: 'journey-segment', runId: 'r1' });
    await runner.idle();
    // Assess
    expect([first.started, second.started]).toEqual([true, false]);
    const entries = await listEntries(stack().tableName, 'journey-segment');
    expect(entries.map((e) => e.customerId).sort()).toEqual(members);
    for (const email of emails) expect(await mailsTo(stack(), email)).toHaveLength(1);
    expect(await mailsTo(stack(), outsider)).toHaveLength(0);
    const run = [...runner.executions.values()].find((x) => x.machine === 'fanout');
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { started: 2, duplicates: 0 } });
  });
});
