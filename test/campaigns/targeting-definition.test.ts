import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCampaignFile } from '../../functions/campaigns/definition/load.js';
import { parseCampaignText } from '../../functions/campaigns/definition/yaml.js';

/** The targeting, budget and incentive-ladder blocks of a campaign file: parsed values and precise errors. */
const BASE = `id: t
name: T
status: draft
topic: marketing
trigger: { type: schedule, cron: "0 10 * * 1" }
variants: [{ id: a, template: winback-offer }]
steps: [{ id: offer, send: {} }]
`;
const errorsOf = (extra: string, base = BASE): Record<string, string> =>
  Object.fromEntries(parseCampaignText(base + extra, 't.yaml').errors.map((e) => [e.path, e.message]));

describe('campaign definition: targeting, budget, incentive ladder', () => {
  it('parses the shipped example with defaults filled in', async () => {
    const result = await validateCampaignFile(path.resolve('campaigns/value-targeted-offer.yaml'));
    expect(result.errors).toEqual([]);
    expect(result.campaign).toMatchObject({
      targeting: { by: 'expected-value', top: 0.3 },
      budget: { amount: 1500, currency: 'GBP', period: 'month', pointValue: 0.01 },
      incentive: { ladder: [5, 10, 15, 20], unit: 'amount', currency: 'GBP' },
    });
  });

  it('names the field and the problem', () => {
    expect(errorsOf('targeting: { by: churn }\n')['targeting']).toBe('targeting needs exactly one of top (a share) or count');
    expect(errorsOf('targeting: { by: churn, top: 0.3, count: 5 }\n')['targeting']).toBe('targeting needs exactly one of top (a share) or count');
    expect(errorsOf('targeting: { by: clicks, top: 0.3 }\n')['targeting.by']).toBe('targeting.by must be churn, uplift or expected-value');
    expect(errorsOf('targeting: { by: churn, top: 1.5 }\n')['targeting.top']).toMatch(/at most 1/);
    expect(errorsOf('targeting: { by: uplift, top: 0.3 }\nincentive: { ladder: [10, 5], expiresInDays: 14, prefix: WB }\n')).toMatchObject({
      'incentive.ladder': 'ladder steps must be strictly ascending, e.g. [5, 10, 15, 20]',
      'incentive.currency': 'an amount ladder needs a currency',
    });
    expect(errorsOf('budget: { amount: 100, currency: GBP }\n')['budget']).toBe('a budget or an incentive ladder needs a targeting block (it spends down the ranking)');
    expect(errorsOf('targeting: { by: churn, top: 0.3 }\nbudget: { amount: 100, currency: EUR }\nincentive: { ladder: [5], currency: GBP, expiresInDays: 14, prefix: WB }\n')['budget.currency']).toBe(
      'the budget is in EUR but coupons are in GBP',
    );
    expect(
      errorsOf('targeting: { by: churn, top: 0.3 }\nincentive: { ladder: [5], currency: GBP, expiresInDays: 14, prefix: WB }\nrewards: { coupon: { percentOff: 10, expiresInDays: 14, prefix: WB } }\n')['incentive'],
    ).toBe('use either incentive (a ladder) or rewards.coupon (a fixed coupon), not both');
  });

  it('refuses targeting on a campaign that does not run over a whole audience', () => {
    const eventTriggered = BASE.replace('trigger: { type: schedule, cron: "0 10 * * 1" }', 'trigger: { type: first-order }');
    expect(errorsOf('targeting: { by: churn, count: 100 }\n', eventTriggered)['targeting']).toBe(
      'targeting ranks the whole audience of a run, so it needs a schedule trigger (this one is first-order)',
    );
  });
});
