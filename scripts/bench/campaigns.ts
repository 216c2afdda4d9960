/**
 * `npm run bench:campaigns` — campaign send throughput on the embedded local stack, as a ratio to
 * the raw ceiling of the SES emulator on the same machine (absolute figures drift; ratios do not):
 *   ceiling   SESv2 SendEmail of one pre-rendered message per recipient (no checks, no ledger)
 *   send step what the journey's Run task does per send step (functions/journeys/send-now.ts): one
 *             Query of the customer's partition since entry (profile, score, ledger, order copies),
 *             suppression (one BatchGetItem), consent, exit on conversion, frequency cap, quiet
 *             hours, render, ledger claim (conditional write), SendEmail, ledger completion
 *   journeys  the whole journey state machine (aws-local-stepfunctions, the deployed ASL, the
 *             Express machine): Run (entry: re-entry, lock, entry record; the send step; advance;
 *             completion) -> Next? -> Done
 * The client-side rate limit (SES_MAX_SEND_RATE, the account's MaxSendRate in AWS) is lifted: it
 * is a deliberate cap, and the point is what the pipeline could do under it. Quiet hours are off
 * so that no send is delayed. The local SES event publishing (Send/Delivery back through the API)
 * is off, as in AWS where SES does it.
 * Then, unless --no-costs, a metered pass of --cost-journeys whole journeys (fresh recipients) with
 * the local SES event publishing on, so that the feedback each send causes in AWS (Send + Delivery
 * events: SNS -> SQS -> process-email-events -> DynamoDB) is metered too: the AWS requests per
 * 1,000 emails by service (scripts/bench/meter.ts) and what 10,000 emails cost at list prices
 * (scripts/bench/costs.ts). It runs after the timed passes, so that the meter cannot slow them.
 * Usage: npm run bench:campaigns -- [--recipients 10000] [--journeys 10000] [--concurrency 32]
 *        [--cost-journeys 2000] [--no-costs] [--json]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mapLimited } from '../../functions/commons/concurrency.js';
import { resetConfig, getConfig } from '../../functions/commons/config.js';
import { logger } from '../../functions/commons/logger.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { campaignById, clearCampaignCache } from '../../functions/journeys/campaign-source.js';
import type { JourneyState } from '../../functions/journeys/journey-state.js';
import { capsFromConfig } from '../../functions/campaigns/eligibility.js';
import { checkAndSend } from '../../functions/journeys/send-now.js';
import { listEntries } from '../../functions/store/journey-entries.js';
import { storeEvents } from '../../functions/store/events.js';
import { localClientConfig } from '../local/emulators.js';
import { FUNCTION_NAMES, startLocalStack, type LocalStack } from '../local/stack.js';
import { LOCAL_FUNCTIONS, LocalStepFunctions } from '../local/stepfunctions.js';
import { costReport, printCostReport, type CostReport } from './cost-report.js';
import { startMeteredPass } from './metered-pass.js';

const { values } = parseArgs({
  options: {
    recipients: { type: 'string', default: '10000' },
    journeys: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    'cost-journeys': { type: 'string', default: '2000' },
    'no-costs': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.recipients);
const J = Number(values.journeys);
const C = Number(values.concurrency);
const CJ = values['no-costs'] ? 0 : Number(values['cost-journeys']);

const CAMPAIGN = `
id: bench
name: Benchmark nudge
status: active
topic: marketing
trigger: { type: first-order }
holdout: 0
variants: [{ id: a, template: at-risk-nudge }]
steps:
  - { id: nudge, send: {} }
`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Whole journeys for `customers`, metered: the Step Functions task handlers wrapped through the
 * runner's HandlerWrapper, its state transitions counted from the executions' event logs, the
 * local SES event publishing on (the API's /v1/email-events stands in for SNS, metered as SNS
 * publishes) with the email-events queue swapped for one drained by a metered event source
 * around process-email-events, the handlers' log level at Powertools' default (INFO, as
 * deployed) and the meter on the handlers' SDK clients.
 */
async function costPass(stack: LocalStack, customers: readonly string[], at: string): Promise<CostReport> {
  const processEmailEvents = await import('../../functions/process-email-events.js');
  const pass = await startMeteredPass(stack, {
    queueName: 'bench-cost-email-events',
    functionName: FUNCTION_NAMES.processEmailEvents,
    handler: processEmailEvents.handler,
    env: (url) => ({ EMAIL_EVENTS_QUEUE_URL: url, LOCAL_SES_EVENTS_URL: `${stack.apiUrl}/v1/email-events` }),
  });
  const { meter } = pass;
  logger.setLogLevel('INFO');
  const runner = await LocalStepFunctions.create({
    table: stack.tableName,
    timeScale: 1,
    concurrency: C,
    wrap: (fn, _state, handler) => meter.wrapLambda(LOCAL_FUNCTIONS[fn], handler),
  });
  try {
    for (const customerId of customers) {
      await runner.startJourney({ campaignId: 'bench', customerId, triggerId: 'bench-costs', trigger: { type: 'manual', at } });
    }
    await runner.idle();
    // The transition counter reads each execution's event log asynchronously: let it catch up.
    await new Promise((resolve) => setImmediate(resolve));
    await pass.consumer.drain();
  } finally {
    runner.close();
    logger.setLogLevel('WARN');
    await pass.stop();
  }
  // Journeys start on the Express machine; those that wait go on on the Standard one (none here: one send, no wait).
  meter.recordStepFunctions(runner.executionCounts.journeyWait, runner.stateTransitions.journeyWait, {
    executions: runner.expressUsage.executions,
    billedMs: runner.expressUsage.billedMs,
    transitionsByType: runner.stateTransitions.journey,
  });
  const snapshot = meter.snapshot();
  const emails = Object.values(snapshot.calls).reduce((n, services) => n + (services.ses?.['SendEmail']?.emails ?? 0), 0);
  if (emails !== customers.length) console.error(`[bench] cost pass: ${emails} emails for ${customers.length} journeys`);
  return costReport(snapshot, { unitsMeasured: emails, unitName: 'emails', requestsPer: 1000, costPer: 10_000 });
}

const dataDir = mkdtempSync(join(tmpdir(), 'winback-bench-campaigns-'));
const campaignsDir = join(dataDir, 'campaigns');
mkdirSync(join(campaignsDir, 'templates'), { recursive: true });
const templates = join(process.cwd(), 'campaigns', 'templates');
for (const f of readdirSync(templates)) copyFileSync(join(templates, f), join(campaignsDir, 'templates', f));
writeFileSync(join(campaignsDir, 'bench.yaml'), CAMPAIGN);

const stack = await startLocalStack({ dataDir, port: 0, quiet: true });
try {
  Object.assign(process.env, {
    CAMPAIGNS_DIR: campaignsDir,
    UNSUBSCRIBE_SECRET: 'bench-secret-0123456789abcdef0123456789',
    PUBLIC_BASE_URL: stack.apiUrl,
    SES_MAX_SEND_RATE: '1000000',
    QUIET_HOURS_START: '00:00',
    QUIET_HOURS_END: '00:00',
    FREQUENCY_CAP_MAX: '100',
  });
  delete process.env['LOCAL_SES_EVENTS_URL'];
  resetConfig();
  clearCampaignCache();
  logger.setLogLevel('WARN');
  const table = stack.tableName;
  const config = getConfig();

  // Prepare: recipients with an email, a first name and an order each (recommendations read it).
  // Recipients: b0.. for the send step, the top ones for the journeys, b<max(N, J)>.. for the cost pass.
  const people = Math.max(N, J) * 2 + CJ;
  const now = new Date().toISOString();
  const seed: StoredEvent[] = [];
  for (let i = 0; i < people; i++) {
    const customerId = `b${i}`;
    seed.push({
      eventId: `bench-id-${i}`, customerId, userId: customerId, kind: 'identify', name: 'identify', timestamp: '2026-01-01T00:00:00.000Z',
      receivedAt: now, source: 'bench', properties: {}, traits: { email: `${customerId}@example.com`, firstName: `Ada${i}` },
    });
    seed.push({
      eventId: `bench-ord-${i}`, customerId, userId: customerId, kind: 'order', name: 'placed', timestamp: '2026-01-02T00:00:00.000Z',
      receivedAt: now, source: 'bench', properties: {},
      order: { orderId: `o${i}`, status: 'placed', currency: 'GBP', total: 30, discount: 0, items: [{ sku: `sku-${i % 40}`, category: `cat-${i % 5}`, quantity: 1, unitPrice: 30 }] },
    });
  }
  for (let i = 0; i < seed.length; i += 2000) await storeEvents(seed.slice(i, i + 2000), { table, retentionDays: 730 });

  // Ceiling: raw SendEmail of one pre-rendered message per recipient.
  const ses = new SESv2Client(localClientConfig(stack.endpoints.ses));
  const raw = Array.from({ length: N }, (_, i) => i);
  const html = '<p>Hello</p>'.repeat(200);
  const ceilingSeconds = await timed(() =>
    mapLimited(raw, C, async (i) => {
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: config.SES_FROM_ADDRESS,
          Destination: { ToAddresses: [`raw${i}@example.com`] },
          Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Html: { Data: html }, Text: { Data: 'Hello' } } } },
        }),
      );
    }),
  );
  ses.destroy();

  // Send step: eligibility + send (the functions the two Lambdas run), on prepared journey states.
  const campaign = await campaignById(campaignsDir, 'bench');
  const settings = { table, publicBaseUrl: config.PUBLIC_BASE_URL, unsubscribeTokenDays: config.UNSUBSCRIBE_TOKEN_DAYS, caps: capsFromConfig(config) };
  let sent = 0;
  const stepSeconds = await timed(() =>
    mapLimited(raw, C, async (i) => {
      const startedAt = new Date().toISOString();
      const state: JourneyState = {
        campaignId: 'bench', customerId: `b${i}`, triggerId: 'bench-run', trigger: { type: 'manual', at: startedAt },
        journey: { startedAt, enteredAt: startedAt, group: 'treatment', variant: 'a', step: { type: 'send', index: 0, id: 'nudge' }, sends: 0, scale: 1 },
      };
      const out = await checkAndSend(settings, campaign, state, new Date());
      if (out.send?.status === 'sent') sent++;
    }),
  );

  // Journeys: the state machine end to end, for other recipients (fresh frequency caps).
  const runner = await LocalStepFunctions.create({ table, timeScale: 1, concurrency: C });
  const journeySeconds = await timed(async () => {
    for (let i = 0; i < J; i++) {
      await runner.startJourney({ campaignId: 'bench', customerId: `b${people - 1 - i}`, triggerId: 'bench-journeys', trigger: { type: 'manual', at: now } });
    }
    await runner.idle();
  });
  runner.close();
  const completed = (await listEntries(table, 'bench')).filter((e) => e.status === 'completed' && (e.sends ?? 0) === 1).length;

  const costs = CJ > 0 ? await costPass(stack, Array.from({ length: CJ }, (_, k) => `b${Math.max(N, J) + k}`), now) : undefined;

  const result = {
    recipients: N,
    journeys: J,
    concurrency: C,
    ceiling: { sendsPerSecond: N / ceilingSeconds, seconds: ceilingSeconds },
    sendStep: { sendsPerSecond: sent / stepSeconds, sent, seconds: stepSeconds, ratio: sent / stepSeconds / (N / ceilingSeconds) },
    journeysRun: { journeysPerSecond: J / journeySeconds, completedWithOneSend: completed, seconds: journeySeconds, ratio: completed / journeySeconds / (N / ceilingSeconds) },
    ...(costs ? { costs } : {}),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const f = (x: number) => Math.round(x).toLocaleString('en-US');
    console.log(`campaign sends on the embedded stack (${C} in flight; SES emulator, dynalite)`);
    console.log(`| path | sends/s | ratio to the ceiling |`);
    console.log(`|---|---|---|`);
    console.log(`| raw SES SendEmail ceiling (${f(N)} pre-rendered messages) | ${f(result.ceiling.sendsPerSecond)} | 1.00 |`);
    console.log(`| send step: eligibility + render + ledger + SendEmail (${f(sent)} sent) | ${f(result.sendStep.sendsPerSecond)} | ${result.sendStep.ratio.toFixed(2)} |`);
    console.log(`| whole journey state machine (${f(completed)} of ${f(J)} journeys, 1 send each) | ${f(completed / journeySeconds)} | ${result.journeysRun.ratio.toFixed(2)} |`);
    if (costs) printCostReport(costs, { requests: '1,000 emails', cost: '10,000 emails' });
  }
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
