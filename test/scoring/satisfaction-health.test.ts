import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/commons/logger.js';
import { resetConfig } from '../../functions/commons/config.js';
import { loadCampaign } from '../../functions/campaigns/definition/load.js';
import { openRegistry } from '../../functions/jobs/model-registry.js';
import { trainModels, type TrainModelsResult } from '../../functions/jobs/training.js';
import { journeyExecutionName } from '../../functions/journeys/execution-name.js';
import type { JourneyInput } from '../../functions/journeys/journey-state.js';
import type { JourneyStarter } from '../../functions/journeys/starter.js';
import { sweepCampaign } from '../../functions/journeys/triggers.js';
import { queryCustomerEvents, storeEvents } from '../../functions/store/events.js';
import { getScore } from '../../functions/store/scores.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { computeFeatures } from '../../models/features.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { healthScore } from '../../models/scoring/health.js';
import { winback } from '../helpers/cli.js';
import { post, useLocalStack } from '../helpers/stack.js';
import { cdnowSlice, FAST_TRAINING } from '../registry/fixtures.js';
import { scoreEveryone } from '../../scripts/local/local-scoring.js';

/**
 * Surveys and tickets end to end on the embedded stack: sent through the ingest API as Segment
 * track events (malformed ones dropped by the batch contract), they become features of a retrained
 * model, move the stored health score, and a detractor's answer triggers detractor-apology.
 */
const stack = useLocalStack();
const population = cdnowSlice(120);
const ids = [...population.keys()];
const DETRACTOR = ids[0]!;
const PROMOTER = ids[1]!;
/** Answers from the summer of 1997 for others, so the training cutoffs see non-constant columns. */
const RESPONDENTS = ids.slice(10, 50);
const T1 = '1998-03-01T00:00:00.000Z';
const T2 = '1998-03-10T00:00:00.000Z';
let registryDir = '';
let trained: TrainModelsResult;
let batchAnswer: { status: number; body: Record<string, unknown> };

const track = (userId: string, event: string, at: string, properties: Record<string, unknown>, messageId: string) => ({
  type: 'track',
  userId,
  event,
  timestamp: at,
  properties,
  messageId,
});

async function scoreAt(scoredAt: string): Promise<void> {
  await scoreEveryone(stack().dataDir, { scoredAt: new Date(scoredAt) });
}

async function scoreOf(customerId: string): Promise<CustomerScore> {
  const s = await getScore(stack().tableName, customerId);
  if (!s) throw new Error(`no score for ${customerId}`);
  return s;
}

beforeAll(async () => {
  logger.setLogLevel('WARN');
  await storeEvents([...population.values()].flat(), { table: stack().tableName, retentionDays: 730 });
  const batch = [
    track(DETRACTOR, 'Survey Responded', '1998-03-03T09:00:00Z', { score: 3, scale: 'nps', surveyId: 'nps-q1', comment: 'never arrived' }, 'd-nps'),
    track(DETRACTOR, 'Ticket Opened', '1998-03-03T09:05:00Z', { ticketId: 'T-100', category: 'delivery', severity: 'high' }, 'd-ticket'),
    track(DETRACTOR, 'Complaint Filed', '1998-03-04T10:00:00Z', { ticketId: 'T-100', category: 'delivery', severity: 'medium' }, 'd-complaint'),
    track(PROMOTER, 'Survey Responded', '1998-03-03T09:00:00Z', { score: 10, scale: 'nps', surveyId: 'nps-q1' }, 'p-nps'),
    track(PROMOTER, 'Survey Responded', '1998-03-04T09:00:00Z', { score: 5, scale: 'csat' }, 'p-csat'),
    // Malformed: dropped, each named, without taking the valid ones down with them.
    track(PROMOTER, 'Survey Responded', '1998-03-05T09:00:00Z', { score: 12, scale: 'nps' }, 'bad-score'),
    track(PROMOTER, 'Survey Responded', '1998-03-05T09:00:00Z', { score: 4, scale: 'stars' }, 'bad-scale'),
    track(PROMOTER, 'Ticket Opened', '1998-03-05T09:00:00Z', { category: 'billing' }, 'bad-ticket'),
    ...RESPONDENTS.map((id, i) =>
      track(id, 'Survey Responded', `1997-0${6 + (i % 3)}-1${i % 10}T12:00:00Z`, { score: (i * 7) % 11, scale: 'nps' }, `r-${i}`),
    ),
    ...RESPONDENTS.filter((_, i) => i % 4 === 0).map((id, i) =>
      track(id, 'Ticket Opened', `1997-07-2${i % 10}T12:00:00Z`, { ticketId: `RT-${i}`, category: 'quality', severity: 'high' }, `rt-${i}`),
    ),
  ];
  batchAnswer = await post(stack(), '/v1/batch', { batch });
  await stack().drain({ timeoutMs: 30_000 });

  registryDir = mkdtempSync(join(tmpdir(), 'winback-satisfaction-registry-'));
  process.env['MODEL_REGISTRY_URI'] = `file://${registryDir}`;
  resetConfig();
  trained = await trainModels({
    table: stack().tableName,
    registry: await openRegistry(`file://${registryDir}`),
    seed: 5,
    now: new Date('2026-12-06T03:00:00Z'),
    experiment: { cutoffCount: 3, train: FAST_TRAINING },
  });
}, 240_000);

afterAll(() => {
  delete process.env['MODEL_REGISTRY_URI'];
  resetConfig();
  rmSync(registryDir, { recursive: true, force: true });
});

describe('surveys and tickets through the ingest API', () => {
  it('stores the valid ones and drops each malformed one by name (200, as for any invalid Segment message)', async () => {
    expect(batchAnswer.status).toBe(200);
    const dropped = batchAnswer.body['dropped'] as Array<{ index: number; messageId: string; field: string; reason: string }>;
    expect(dropped.map((d) => [d.messageId, d.field])).toEqual([
      ['bad-score', 'batch[5].properties.score'],
      ['bad-scale', 'batch[6].properties.scale'],
      ['bad-ticket', 'batch[7].properties.ticketId'],
    ]);
    expect(dropped[0]!.reason).toContain('a nps score is from 0 to 10; got 12');
    const names = (await queryCustomerEvents(stack().tableName, PROMOTER)).filter((e) => e.kind === 'track').map((e) => e.eventId);
    expect(names.sort()).toEqual(['seg:p-csat', 'seg:p-nps']);
    // A single message with a bad score is the caller's mistake: 400 naming the field.
    const single = await post(stack(), '/v1/track', track(PROMOTER, 'Survey Responded', '1998-03-05T09:00:00Z', { score: -1, scale: 'csat' }, 'bad-single'));
    expect(single.status).toBe(400);
    expect(JSON.stringify(single.body)).toContain('properties.score');
  });
});

describe('a model retrained with them', () => {
  it('lists the satisfaction features in the registered model, learned from non-constant columns', async () => {
    const registry = await openRegistry(`file://${registryDir}`);
    const churn = await registry.loadTrained(trained.versions.churn!);
    const names = churn.model.featureNames;
    for (const f of ['nps_latest', 'nps_detractor', 'csat_mean_365d', 'tickets_open', 'complaints_90d', 'acquired_paid']) expect(names).toContain(f);
    expect(churn.model.featureVersion).toBe('1.1.0');
    const std = (name: string): number => churn.model.normalisation.std[names.indexOf(name)] ?? 0;
    expect(std('nps_latest')).toBeGreaterThan(0);
    expect(std('tickets_open')).toBeGreaterThan(0);
    const index = await registry.readIndex('churn');
    expect(index.versions.find((v) => v.version === trained.versions.churn)?.featureVersion).toBe('1.1.0');
  });
});

describe('health score', () => {
  let before: { detractor: CustomerScore; promoter: CustomerScore };
  beforeAll(async () => {
    await scoreAt(T1);
    before = { detractor: await scoreOf(DETRACTOR), promoter: await scoreOf(PROMOTER) };
    await scoreAt(T2);
  }, 120_000);

  it('moves with the survey answers and tickets: down for the detractor, satisfaction 100 for the promoter', async () => {
    expect(before.detractor.health?.components).toMatchObject({ satisfaction: null, complaints: 100 });
    const detractor = await scoreOf(DETRACTOR);
    const promoter = await scoreOf(PROMOTER);
    // NPS 3 -> 30; one complaint (-25), one high ticket (-10 -15), still open (-10).
    expect(detractor.health?.components).toMatchObject({ satisfaction: 30, complaints: 40 });
    expect(detractor.health!.score).toBeLessThan(before.detractor.health!.score);
    expect(promoter.health?.components).toMatchObject({ satisfaction: 100, complaints: 100 });
    expect(before.promoter.health?.components.satisfaction).toBeNull();
    // What is stored is the documented function of the stored events at the scoring time.
    const events: StoredEvent[] = await queryCustomerEvents(stack().tableName, DETRACTOR);
    expect(detractor.health).toEqual(healthScore(computeFeatures(events, new Date(T2))));
  });

  it('is shown by customers show, with the survey score and ticket, and never the survey comment', async () => {
    const shown = await winback('customers', 'show', DETRACTOR, '--data-dir', stack().dataDir);
    expect(shown.code).toBe(0);
    const detractor = await scoreOf(DETRACTOR);
    expect(shown.out).toContain(`health      ${detractor.health!.score}/100 (${detractor.health!.band}): activity`);
    expect(shown.out).toContain('satisfaction 30, complaints 40');
    expect(shown.out).toContain('track Survey Responded (nps 3)');
    expect(shown.out).toContain('track Ticket Opened (T-100, delivery, high)');
    expect(shown.out).not.toContain('never arrived');
  });
});

describe('the detractor-apology campaign', () => {
  function recorder(): JourneyStarter & { started: JourneyInput[] } {
    const started: JourneyInput[] = [];
    return { started, startJourney: async (i) => (started.push(i), { executionName: journeyExecutionName(i), started: true }), startFanout: async () => ({ executionName: 'x', started: true }) };
  }

  it('enters the NPS detractor, once per answer, and not the promoter or the CSAT answer', async () => {
    const campaign = await loadCampaign(resolve('campaigns'), 'detractor-apology');
    const starter = recorder();
    const sweep = { table: stack().tableName, now: new Date('1998-03-06T00:00:00Z'), lookbackMs: 4 * 86_400_000, starter };
    const dry = await sweepCampaign({ ...sweep, dryRun: true }, campaign);
    expect(dry.candidates.map((c) => c.input.customerId)).toEqual([DETRACTOR]);
    expect(dry.candidates[0]!.input).toMatchObject({ campaignId: 'detractor-apology', triggerId: 'event-seg_d-nps', trigger: { type: 'event', detail: { event: 'Survey Responded' } } });
    expect(starter.started).toEqual([]);
    const run = await sweepCampaign(sweep, campaign);
    expect(run.started).toBe(1);
    expect(starter.started.map((s) => `${s.customerId} ${s.triggerId}`)).toEqual([`${DETRACTOR} event-seg_d-nps`]);
  });

  it('honours a health audience filter (read from the stored score)', async () => {
    const campaign = await loadCampaign(resolve('campaigns'), 'detractor-apology');
    const health = (await scoreOf(DETRACTOR)).health!.score;
    const sweep = { table: stack().tableName, now: new Date('1998-03-06T00:00:00Z'), lookbackMs: 4 * 86_400_000, starter: recorder(), dryRun: true };
    const healthy = await sweepCampaign(sweep, { ...campaign, audience: { health: { min: health + 1 } } });
    expect(healthy.candidates).toEqual([]);
    expect(healthy.filtered).toEqual({ [`health under ${health + 1}`]: 1 });
    const poor = await sweepCampaign(sweep, { ...campaign, audience: { health: { max: health } } });
    expect(poor.candidates.map((c) => c.input.customerId)).toEqual([DETRACTOR]);
  });
});
