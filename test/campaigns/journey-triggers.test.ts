import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { parseCampaignText } from '../../functions/campaigns/definition/yaml.js';
import { dynamoClient } from '../../functions/commons/clients.js';
import { journeyNow, realWakeAt } from '../../functions/journeys/clock.js';
import { cronMatches, latestTick, parseCron } from '../../functions/journeys/cron.js';
import { createEntry, type EntryRecord } from '../../functions/store/journey-entries.js';
import { reentryDecision } from '../../functions/journeys/reentry.js';
import { isValidExecutionName, journeyExecutionName } from '../../functions/journeys/execution-name.js';
import type { JourneyInput } from '../../functions/journeys/journey-state.js';
import type { JourneyStarter } from '../../functions/journeys/starter.js';
import { sweepCampaign } from '../../functions/journeys/triggers.js';
import { TABLE } from '../../kernel/settings.js';
import { crossingSk, crossingsDayPk, customerPk, scoreChangeSk } from '../../functions/store/keys.js';
import { useLocalStack } from '../helpers/stack.js';

describe('execution names', () => {
  it('are readable when the key is already valid, and stable', () => {
    const key = { campaignId: 'high-value-winback', customerId: 'c-1', triggerId: 'score-1' };
    expect(journeyExecutionName(key)).toBe('high-value-winback--c-1--score-1');
    expect(journeyExecutionName({ ...key })).toBe(journeyExecutionName(key));
  });

  it('are sanitised and hashed within 80 characters of [A-Za-z0-9-_], without collisions from sanitising', () => {
    const long = { campaignId: 'high-value-winback', customerId: 'x'.repeat(100), triggerId: 'score-2026-11-23T04:00:00.000Z' };
    const dotted = { campaignId: 'c', customerId: 'a.b@example.com', triggerId: 't' };
    const underscored = { campaignId: 'c', customerId: 'a_b_example_com', triggerId: 't' };
    for (const k of [long, dotted, underscored]) expect(isValidExecutionName(journeyExecutionName(k)), journeyExecutionName(k)).toBe(true);
    expect(journeyExecutionName(long)).toHaveLength(80);
    expect(journeyExecutionName(dotted)).not.toBe(journeyExecutionName(underscored));
  });
});

describe('journey clock', () => {
  it('scales waits and the passage of journey time by the same factor', () => {
    const start = '2026-11-23T10:00:00.000Z';
    const real = new Date('2026-11-23T10:00:01.000Z');
    // 1 real second at 1e-5 is 100,000 journey seconds.
    expect(journeyNow(start, real, 1e-5).toISOString()).toBe('2026-11-24T13:46:40.000Z');
    const jNow = journeyNow(start, real, 1e-5);
    const wake = realWakeAt(new Date(jNow.getTime() + 3 * 86_400_000), jNow, real, 1e-5);
    expect(wake.getTime() - real.getTime()).toBeCloseTo(2592, 6);
    expect(journeyNow(start, real, 1).toISOString()).toBe(real.toISOString());
  });
});

describe('cron', () => {
  it('reads 5-field and EventBridge 6-field expressions', () => {
    const monday10 = new Date('2026-11-23T10:00:00Z'); // a Monday
    expect(cronMatches(parseCron('0 10 * * 1'), monday10)).toBe(true);
    expect(cronMatches(parseCron('0 10 ? * MON *'), monday10)).toBe(true);
    expect(cronMatches(parseCron('0 10 * * 2'), monday10)).toBe(false);
    expect(cronMatches(parseCron('*/15 9-17 * * MON-FRI'), new Date('2026-11-23T09:45:00Z'))).toBe(true);
    // 10:00 in London is 10:00 UTC in November, 09:00 UTC in June.
    expect(cronMatches(parseCron('0 10 * * *', 'Europe/London'), new Date('2026-06-01T09:00:00Z'))).toBe(true);
    expect(latestTick(parseCron('0 10 * * 1'), new Date('2026-11-23T09:00:00Z'), new Date('2026-11-23T12:34:00Z'))?.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(latestTick(parseCron('0 10 * * 1'), new Date('2026-11-23T10:00:00Z'), new Date('2026-11-23T12:00:00Z'))).toBeUndefined();
    expect(() => parseCron('0 10 L * ?')).toThrow(/not supported/);
  });
});

describe('re-entry rule', () => {
  const entry = (triggerId: string, status: EntryRecord['status'], enteredAt: string): EntryRecord => ({
    campaignId: 'c', customerId: 'x', triggerId, triggerType: 'score', executionName: triggerId, group: 'treatment', variant: 'a', enteredAt, status,
  });
  const now = new Date('2026-03-01T00:00:00Z');
  it('never enters a customer twice at once, and honours allowed + cooldown', () => {
    expect(reentryDecision([], { allowed: false, cooldown: 0 }, now, 't2')).toEqual({ allowed: true });
    expect(reentryDecision([entry('t1', 'active', '2026-01-01T00:00:00Z')], { allowed: true, cooldown: 0 }, now, 't2')).toMatchObject({ reason: 'already-in-journey' });
    expect(reentryDecision([entry('t1', 'completed', '2026-01-01T00:00:00Z')], { allowed: false, cooldown: 0 }, now, 't2')).toMatchObject({ reason: 'reentry-not-allowed' });
    expect(reentryDecision([entry('t1', 'completed', '2026-02-15T00:00:00Z')], { allowed: true, cooldown: 30 * 86_400_000 }, now, 't2')).toMatchObject({ reason: 'reentry-cooldown' });
    expect(reentryDecision([entry('t1', 'completed', '2026-01-15T00:00:00Z')], { allowed: true, cooldown: 30 * 86_400_000 }, now, 't2')).toEqual({ allowed: true });
  });
});

describe('score-crossing trigger (against the local stack)', () => {
  const stack = useLocalStack();
  const campaign = parseCampaignText(
    `
id: journey-score
name: Score crossing
status: active
topic: marketing
trigger: { type: score, model: churn, threshold: 0.6, hysteresis: 0.05 }
audience: { tiers: [gold, diamond] }
variants: [{ id: a, template: winback-offer }]
steps: [{ send: {} }]
reentry: { allowed: true, cooldown: 1d }
`,
    'journey-score.yaml',
  ).campaign as CampaignDefinition;

  async function crossing(customerId: string, scoredAt: string, previous: number, current: number, tier = 'gold'): Promise<void> {
    await dynamoClient().send(
      new PutCommand({
        TableName: stack().tableName,
        Item: {
          pk: customerPk(customerId), sk: scoreChangeSk(scoredAt), customerId, direction: current >= 0.6 ? 'up' : 'down', threshold: 0.6,
          previousScoredAt: '2026-01-01T00:00:00.000Z', previousChurnProbability: previous, scoredAt, churnProbability: current, tier, stage: 'at-risk',
          [TABLE.gsi1PartitionKey]: crossingsDayPk(scoredAt.slice(0, 10)), [TABLE.gsi1SortKey]: crossingSk(scoredAt, customerId),
        },
      }),
    );
  }

  function recorder(): JourneyStarter & { started: JourneyInput[] } {
    const started: JourneyInput[] = [];
    return { started, startJourney: async (i) => (started.push(i), { executionName: journeyExecutionName(i), started: true }), startFanout: async () => ({ executionName: 'x', started: true }) };
  }

  it('enters up-crossings once, and again only after the score fell below threshold - hysteresis', async () => {
    // Prepare: a's up-crossing; b hovered (previous 0.58 -> 0.61 after an entry); c re-armed (0.5 since the entry).
    expect(campaign).toBeDefined();
    const table = stack().tableName;
    await crossing('a', '2026-03-01T04:00:00.000Z', 0.4, 0.7);
    await createEntry(table, { campaignId: campaign.id, customerId: 'b', triggerId: 'old', triggerType: 'score', executionName: 'old-b', group: 'treatment', variant: 'a', enteredAt: '2026-02-01T00:00:00.000Z', status: 'completed' });
    await crossing('b', '2026-02-20T04:00:00.000Z', 0.7, 0.58);
    await crossing('b', '2026-03-01T04:00:00.000Z', 0.58, 0.61);
    await createEntry(table, { campaignId: campaign.id, customerId: 'c', triggerId: 'old', triggerType: 'score', executionName: 'old-c', group: 'treatment', variant: 'a', enteredAt: '2026-02-01T00:00:00.000Z', status: 'completed' });
    await crossing('c', '2026-02-20T04:00:00.000Z', 0.7, 0.5);
    await crossing('c', '2026-03-01T04:00:00.000Z', 0.5, 0.65);
    // d: down-crossing (not this campaign's direction).
    await crossing('d', '2026-03-01T04:00:00.000Z', 0.7, 0.3);
    const starter = recorder();
    // Act
    const result = await sweepCampaign({ table, now: new Date('2026-03-01T05:00:00Z'), lookbackMs: 3 * 3600_000, starter }, campaign);
    // Assess: a (first crossing) and c (re-armed); b is held back by hysteresis; d is no up-crossing.
    // The audience filter needs a score item: none exist here, so the tier filter excludes everyone.
    expect(result.started).toBe(0);
    expect(result.filtered).toMatchObject({ 'hysteresis (not re-armed since the last entry)': 1, 'no up-crossing of 0.6': 1 });
    expect(result.filtered['tier unknown not in gold/diamond']).toBe(2);
    // Without the tier filter, a and c enter, with trigger ids from the crossing time.
    const open = { ...campaign, audience: {} } as CampaignDefinition;
    const again = await sweepCampaign({ table, now: new Date('2026-03-01T05:00:00Z'), lookbackMs: 3 * 3600_000, starter }, open);
    expect(again.started).toBe(2);
    expect(starter.started.map((s) => `${s.customerId} ${s.triggerId}`).sort()).toEqual(['a score-2026-03-01T04_00_00_000Z', 'c score-2026-03-01T04_00_00_000Z']);
  });
});
