import { describe, expect, it } from 'vitest';
import { Audience, matchesAudience } from '../../functions/campaigns/definition/audience.js';
import { factsFrom } from '../../functions/journeys/customer-facts.js';
import { mergePatches } from '../../functions/store/profiles.js';

/** The `group` audience filter: the accounts a customer joined through Segment `group` calls. */
describe('audience: group (account) filter', () => {
  // Prepare: a profile merged from two group patches, as `group` calls store them.
  const profile = mergePatches('c-g', [
    { sk: 'P#2026-01-01T00:00:00.000Z#seg:g1', at: '2026-01-01T00:00:00.000Z', source: 'web', groups: { acme: { name: 'Acme Ltd', plan: 'team' } } },
    { sk: 'P#2026-02-01T00:00:00.000Z#seg:g2', at: '2026-02-01T00:00:00.000Z', source: 'web', groups: { acme: { plan: 'enterprise' } } },
    { sk: 'P#2026-03-01T00:00:00.000Z#seg:g3', at: '2026-03-01T00:00:00.000Z', source: 'web', groups: { beta: { plan: 'free' } } },
  ]);
  const facts = factsFrom('c-g', profile, undefined, new Date('2026-04-01T00:00:00Z'));

  it("merges each account's traits over time and remembers the latest account", () => {
    expect(profile.groups).toEqual({ acme: { name: 'Acme Ltd', plan: 'enterprise' }, beta: { plan: 'free' } });
    expect(profile.groupId).toBe('beta');
    expect(profile.traits).toEqual({});
  });

  it('matches by account id and by account traits, and says why not', () => {
    const audience = (group: unknown): Audience => Audience.parse({ group });
    expect(matchesAudience(audience({ ids: ['acme'] }), facts)).toEqual({ match: true });
    expect(matchesAudience(audience({ traits: { plan: 'enterprise' } }), facts)).toEqual({ match: true });
    expect(matchesAudience(audience({ ids: ['beta'], traits: { plan: 'enterprise' } }), facts)).toMatchObject({
      match: false,
      reason: 'not in account beta with {"plan":"enterprise"}',
    });
    expect(matchesAudience(audience({ ids: ['acme'] }), factsFrom('c-none', undefined, undefined, new Date()))).toMatchObject({ match: false });
    expect(() => audience({ id: 'acme' })).toThrow();
  });
});
