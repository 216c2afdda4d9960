import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CampaignDefinition, resolveSend, type SendStep } from '../../functions/campaigns/definition/schema.js';
import { matchesAudience } from '../../functions/campaigns/definition/audience.js';
import { parseCampaignText } from '../../functions/campaigns/definition/yaml.js';
import { validateCampaignFile, validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { formatIssue } from '../../functions/campaigns/errors.js';
import { parseDuration } from '../../functions/campaigns/duration.js';

const templatesDir = path.resolve('campaigns/templates');
const dir = mkdtempSync(path.join(tmpdir(), 'winback-campaigns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINBACK = `
id: high-value-winback
name: High-value win-back
status: active
topic: marketing
trigger:
  type: score
  model: churn
  threshold: 0.6
  direction: up
  hysteresis: 0.05
audience:
  tiers: [gold, diamond]
  churn: { min: 0.6 }
holdout: 0.1
variants:
  - id: A
    weight: 1
    template: winback-offer
  - id: B
    weight: 1
    template: winback-offer
    subject: "{{firstName}}, a little something for you"
steps:
  - id: offer
    send: {}
  - id: pause
    wait: { duration: 3d }
  - id: ordered
    branch:
      if: { event: { kind: order, name: placed } }
      then: done
  - id: reminder
    send: { template: winback-reminder }
  - id: done
    exit: {}
rewards:
  coupon: { percentOff: 20, expiresInDays: 14, prefix: WB20 }
goal:
  event: { kind: order, name: placed }
  attributionWindow: 14d
reentry: { allowed: true, cooldown: 30d }
sendLimitPerRun: 500
`;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('campaign definitions', () => {
  it('parses a complete campaign: durations in ms, step ids, branch targets, defaults', async () => {
    // Prepare
    const file = write('high-value-winback.yaml', WINBACK);
    // Act
    const result = await validateCampaignFile(file, { templatesDir });
    // Assess
    expect(result.errors).toEqual([]);
    const c = result.campaign!;
    expect(c.holdout).toBe(0.1);
    expect(c.steps[1]).toEqual({ id: 'pause', wait: { duration: 3 * 86_400_000 } });
    expect(c.steps[2]).toMatchObject({ id: 'ordered', branch: { then: 'done', else: 'reminder' } });
    expect(c.goal.attributionWindow).toBe(14 * 86_400_000);
    expect(c.reentry).toEqual({ allowed: true, cooldown: 30 * 86_400_000 });
    expect(c.transactional).toBe(false);
    expect(c.trigger).toEqual({ type: 'score', model: 'churn', threshold: 0.6, direction: 'up', hysteresis: 0.05 });
    // the variant's template and subject apply where the step names no template
    expect(resolveSend(c, c.steps[0] as SendStep, 'B')).toEqual({ template: 'winback-offer', subject: '{{firstName}}, a little something for you' });
    expect(resolveSend(c, c.steps[3] as SendStep, 'B')).toEqual({ template: 'winback-reminder' });
  });

  it('names the file, the path inside it and the reason, with the line', async () => {
    const file = write('broken.yaml', WINBACK.replace('id: high-value-winback', 'id: broken').replace('duration: 3d', 'duration: 3x'));
    const result = await validateCampaignFile(file, { templatesDir });
    expect(result.campaign).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    const issue = result.errors[0]!;
    expect(issue).toMatchObject({ file, path: 'steps[1].wait.duration' });
    expect(issue.message).toContain('"3x" is not a duration');
    expect(issue.line).toBe(WINBACK.split('\n').findIndex((l) => l.includes('duration: 3d')) + 1);
    expect(formatIssue(issue)).toMatch(new RegExp(`broken\\.yaml:${issue.line}:\\d+: steps\\[1\\]\\.wait\\.duration: "3x" is not a duration`));
  });

  it('reports YAML syntax errors with line and column', () => {
    const result = parseCampaignText('id: x\nname: [unclosed\ntopic: marketing\n', 'x.yaml');
    expect(result.errors[0]).toMatchObject({ file: 'x.yaml', path: '(yaml)' });
    expect(result.errors[0]!.message).toMatch(/^YAML syntax error/);
    expect(result.errors[0]!.line).toBeGreaterThanOrEqual(2);
    expect(result.errors[0]!.column).toBeGreaterThanOrEqual(1);
  });

  it('checks cross-field references: variants, branch targets, step ids, unknown fields', () => {
    const text = WINBACK.replace('send: { template: winback-reminder }', 'send: { template: winback-reminder, variant: C }')
      .replace('then: done', 'then: finish')
      .replace('id: pause', 'id: offer')
      .replace('sendLimitPerRun: 500', 'sendLimitPerRun: 500\nholdOut: 0.2');
    const result = parseCampaignText(text, 'c.yaml');
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
    expect(byPath['holdOut']).toBe('unknown field "holdOut"');
    expect(result.errors.find((e) => e.path === 'holdOut')?.line).toBe(text.split('\n').indexOf('holdOut: 0.2') + 1);
    const second = parseCampaignText(text.replace('\nholdOut: 0.2', ''), 'c.yaml');
    const paths = Object.fromEntries(second.errors.map((e) => [e.path, e.message]));
    expect(paths['steps[3].send.variant']).toBe('no variant "C"; variants are A, B');
    expect(paths['steps[2].branch.then']).toContain('no step with id "finish"');
    expect(paths['steps[1].id']).toBe('step id "offer" is already used by steps[0]');
  });

  it('rejects missing templates, unknown template variables and a file name that is not the id', async () => {
    const file = write('wrong-name.yaml', WINBACK.replace('template: winback-reminder', 'template: no-such-template'));
    const result = await validateCampaignFile(file, { templatesDir });
    const paths = Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
    expect(paths['id']).toContain('must match the file name (wrong-name.yaml)');
    expect(paths['steps[3].send.template']).toContain('template "no-such-template" has no file');

    const tdir = mkdtempSync(path.join(dir, 'templates-'));
    writeFileSync(path.join(tdir, 'typo.html'), '---\nsubject: Hi {{firstname}}\n---\n<p>{{#each recommendations}}{{name}}{{/each}}</p>');
    writeFileSync(path.join(tdir, 'typo.txt'), 'Hi');
    writeFileSync(path.join(tdir, 'unclosed.html'), '---\nsubject: Hi\n---\n<p>{{#if coupon}}x</p>');
    writeFileSync(path.join(tdir, 'unclosed.txt'), 'Hi');
    const f2 = write('typo.yaml', 'id: typo\nname: T\ntopic: marketing\ntrigger: { type: first-order }\nsteps:\n  - send: { template: typo }\n  - send: { template: unclosed }\n');
    const r2 = await validateCampaignFile(f2, { templatesDir: tdir });
    const p2 = Object.fromEntries(r2.errors.map((e) => [e.path, e.message]));
    expect(p2['steps[0].send.template']).toBe('template "typo" uses unknown variable firstname');
    expect(p2['steps[1].send.template']).toMatch(/unclosed\.html:4: \{\{#if coupon\}\} is never closed/);
  });

  it('lists every problem at once: a schema problem, a missing template and a file name that is not the id', async () => {
    // Prepare: one file with three kinds of problem.
    const file = write('not-the-id.yaml', WINBACK.replace('duration: 3d', 'duration: 3x').replace('template: winback-reminder', 'template: no-such-template'));
    // Act
    const result = await validateCampaignFile(file, { templatesDir });
    // Assess
    expect(result.campaign).toBeUndefined();
    const paths = Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
    expect(Object.keys(paths).sort()).toEqual(['id', 'steps[1].wait.duration', 'steps[3].send.template']);
    expect(paths['steps[1].wait.duration']).toContain('"3x" is not a duration');
    expect(paths['id']).toContain('must match the file name (not-the-id.yaml)');
    expect(paths['steps[3].send.template']).toContain('template "no-such-template" has no file');
  });

  it('validates triggers, rewards and holdout ranges with precise messages', () => {
    const cases: Array<[string, string, string]> = [
      ['trigger:\n  type: score\n  model: churn\n  threshold: 0.6', 'trigger:\n  type: weather', 'trigger.type'],
      ['holdout: 0.1', 'holdout: 0.7', 'holdout'],
      ['coupon: { percentOff: 20, expiresInDays: 14, prefix: WB20 }', 'coupon: { amountOff: 5, expiresInDays: 14, prefix: WB20 }', 'rewards.coupon.currency'],
      ['coupon: { percentOff: 20, expiresInDays: 14, prefix: WB20 }', 'coupon: { percentOff: 20, amountOff: 5, currency: GBP, expiresInDays: 14, prefix: WB20 }', 'rewards.coupon.percentOff'],
      ['  - id: A\n    weight: 1', '  - id: A\n    weight: 0', 'variants[0].weight'],
    ];
    for (const [from, to, where] of cases) {
      expect(WINBACK.includes(from), from).toBe(true);
      const result = parseCampaignText(WINBACK.replace(from, to), 'c.yaml');
      expect(result.errors.map((e) => e.path), `${to} -> ${where}`).toContain(where);
    }
    const unknownTrigger = parseCampaignText(WINBACK.replace('type: score', 'type: weather'), 'c.yaml');
    expect(unknownTrigger.errors[0]?.message).toContain('unknown trigger type "weather"');
  });

  it('validateCampaigns lists every problem of every file of a directory', async () => {
    const d = mkdtempSync(path.join(dir, 'set-'));
    writeFileSync(path.join(d, 'high-value-winback.yaml'), WINBACK);
    writeFileSync(path.join(d, 'bad.yaml'), 'id: bad\nname: Bad\ntopic: marketing\ntrigger: { type: schedule, cron: "every day" }\nsteps: []\n');
    const results = await validateCampaigns(d, { templatesDir });
    const paths = results.flatMap((r) => r.errors).map((i) => `${path.basename(i.file)}:${i.path}`);
    expect(paths).toEqual(expect.arrayContaining(['bad.yaml:trigger.cron', 'bad.yaml:steps']));
    expect(results.find((r) => r.file.endsWith('bad.yaml'))?.campaign).toBeUndefined();
    rmSync(path.join(d, 'bad.yaml'));
    const valid = await validateCampaigns(d, { templatesDir });
    expect(valid.map((r) => [r.campaign?.id, r.errors.length])).toEqual([['high-value-winback', 0]]);
  });

  it('parses cart abandonment (event trigger with unless-within) and a transactional campaign', () => {
    const parsed = CampaignDefinition.parse({
      id: 'cart-abandonment',
      name: 'Cart',
      topic: 'marketing',
      trigger: { type: 'event', event: { kind: 'track', name: 'Product Added' }, unless: { kind: 'order', name: 'placed', within: '1h' } },
      steps: [{ send: { template: 'cart-reminder' } }],
    });
    expect(parsed.trigger).toEqual({ type: 'event', event: { kind: 'track', name: 'Product Added' }, unless: { kind: 'order', name: 'placed', within: 3_600_000 } });
    expect(parsed.variants).toEqual([{ id: 'default', weight: 1, template: 'cart-reminder' }]);
    expect(parsed.steps[0]!.id).toBe('step-1');
    expect(parsed.status).toBe('draft');
  });

  it('durations and audiences', () => {
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('3 d')).toBe(259_200_000);
    expect(parseDuration('0d')).toBeUndefined();
    expect(parseDuration('3days')).toBeUndefined();
    const audience = { tiers: ['gold', 'diamond'] as ('gold' | 'diamond')[], churn: { min: 0.6, max: 1 }, daysSinceLastOrder: { min: 30 } };
    expect(matchesAudience(audience, { tier: 'gold', churn: 0.7, traits: {}, daysSinceLastOrder: 45 })).toEqual({ match: true });
    expect(matchesAudience(audience, { tier: 'silver', churn: 0.7, traits: {}, daysSinceLastOrder: 45 })).toEqual({ match: false, reason: 'tier silver not in gold/diamond', group: 'tier silver not in gold/diamond' });
    // Dry runs count by `group`: the campaign's band stays, the customer's own value goes.
    expect(matchesAudience(audience, { tier: 'gold', churn: 0.5, traits: {}, daysSinceLastOrder: 45 })).toEqual({ match: false, reason: 'churn 0.50 outside 0.6..1', group: 'churn below the band 0.6..1' });
    expect(matchesAudience(audience, { tier: 'gold', traits: {}, daysSinceLastOrder: 45 })).toMatchObject({ group: 'churn unscored (band 0.6..1)' });
    expect(matchesAudience(audience, { tier: 'gold', churn: 0.9, traits: {} })).toEqual({ match: false, reason: 'no order yet', group: 'no order yet' });
  });
});
