import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { satisfactionIssues } from '../../kernel/events/satisfaction-event.js';
import { computeFeatures, FEATURE_NAMES, FEATURES } from '../../models/features.js';
import { healthScore, HEALTH_WEIGHTS } from '../../models/scoring/health.js';
import { order, page } from './model-fixtures.js';

const C = new Date('2021-04-01T00:00:00Z');
const id = 'cust-s';
let seq = 0;

function signal(name: string, at: string, properties: Record<string, unknown>, context?: StoredEvent['context']): StoredEvent {
  return { eventId: `seg:s${++seq}`, customerId: id, kind: 'track', name, timestamp: at, receivedAt: at, source: 'desk', properties, ...(context ? { context } : {}) };
}

describe('satisfaction properties at ingest', () => {
  it('names the field and the range of a malformed survey or ticket, and passes valid ones and other events', () => {
    expect(satisfactionIssues('Survey Responded', { score: 11, scale: 'nps' })).toEqual([{ path: ['properties', 'score'], message: 'a nps score is from 0 to 10; got 11' }]);
    expect(satisfactionIssues('Survey Responded', { score: 0, scale: 'csat' })[0]?.message).toBe('a csat score is from 1 to 5; got 0');
    expect(satisfactionIssues('Survey Responded', { score: '9', scale: 'nps' })[0]?.path).toEqual(['properties', 'score']);
    expect(satisfactionIssues('Survey Responded', { score: 7.5, scale: 'nps' })[0]?.message).toBe('score must be a whole number');
    expect(satisfactionIssues('Survey Responded', { score: 3, scale: 'stars' })[0]?.path).toEqual(['properties', 'scale']);
    expect(satisfactionIssues('Survey Responded', undefined).map((i) => i.path.join('.')).sort()).toEqual(['properties.scale', 'properties.score']);
    expect(satisfactionIssues('Ticket Opened', { category: 'delivery' })[0]?.path).toEqual(['properties', 'ticketId']);
    expect(satisfactionIssues('Complaint Filed', { severity: 'apocalyptic' })[0]?.path).toEqual(['properties', 'severity']);
    expect(satisfactionIssues('Survey Responded', { score: 10, scale: 'nps', surveyId: 'q2', comment: 'free text' })).toEqual([]);
    expect(satisfactionIssues('Ticket Resolved', { ticketId: 42 })).toEqual([]);
    expect(satisfactionIssues('Complaint Filed', {})).toEqual([]);
    expect(satisfactionIssues('Product Viewed', { score: 'anything' })).toEqual([]);
  });
});

describe('satisfaction features', () => {
  const events = (): StoredEvent[] => [
    page(id, '2020-12-01T10:00:00Z'),
    signal('Survey Responded', '2021-01-10T00:00:00Z', { score: 9, scale: 'nps' }),
    signal('Survey Responded', '2021-03-10T00:00:00Z', { score: 4, scale: 'nps', comment: 'late again' }),
    signal('Survey Responded', '2020-02-01T00:00:00Z', { score: 1, scale: 'csat' }), // over 365 days before C
    signal('Survey Responded', '2021-02-01T00:00:00Z', { score: 5, scale: 'csat' }),
    signal('Survey Responded', '2021-03-01T00:00:00Z', { score: 3, scale: 'csat' }),
    signal('Ticket Opened', '2021-03-01T00:00:00Z', { ticketId: 'T1', severity: 'high' }),
    signal('Ticket Resolved', '2021-03-05T00:00:00Z', { ticketId: 'T1' }),
    signal('Ticket Opened', '2021-03-20T00:00:00Z', { ticketId: 'T2', category: 'delivery' }),
    signal('Ticket Opened', '2020-10-01T00:00:00Z', { ticketId: 'T0' }), // open, but not in the last 90 days
    signal('Complaint Filed', '2021-03-21T00:00:00Z', { ticketId: 'T2', severity: 'critical' }),
    // After the cutoff: ignored.
    signal('Survey Responded', '2021-04-01T00:00:00Z', { score: 10, scale: 'nps' }),
    signal('Ticket Resolved', '2021-04-02T00:00:00Z', { ticketId: 'T2' }),
  ];

  it('computes NPS, CSAT, tickets and complaints by their documented definitions, before the cutoff only', () => {
    const f = computeFeatures(events(), C);
    expect(f.nps_latest).toBeCloseTo(0.4, 12);
    expect([f.nps_responded, f.nps_detractor, f.nps_promoter]).toEqual([1, 1, 0]);
    expect(f.csat_mean_365d).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(f.csat_responses_365d).toBe(2);
    expect(f.tickets_open).toBe(2); // T0 and T2
    expect(f.tickets_90d).toBe(2); // T1, T2
    expect(f.complaints_90d).toBe(1);
    expect(f.severe_issues_90d).toBe(2);
    // Survey and ticket events are not website visits.
    expect(f.days_since_web_activity).toBeCloseTo(120 + 14 / 24, 9);
    expect(f.sessions_90d).toBe(0);
  });

  it('reads a customer without surveys as "never answered", not as a bad answer', () => {
    const f = computeFeatures([page(id, '2021-03-01T00:00:00Z')], C);
    expect([f.nps_latest, f.nps_responded, f.nps_detractor, f.csat_mean_365d, f.tickets_open, f.complaints_90d]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(healthScore(f).components.satisfaction).toBeNull();
  });

  it('one-hot encodes the acquisition channel from the first visit UTM medium', () => {
    const first = (medium: string): StoredEvent => ({ ...page(id, '2021-01-01T00:00:00Z'), context: { campaign: { source: 'x', medium } } });
    const later = { ...page(id, '2021-02-01T00:00:00Z'), context: { campaign: { medium: 'cpc' } } };
    expect(computeFeatures([first('cpc'), later], C)).toMatchObject({ acquired_paid: 1, acquired_email: 0 });
    expect(computeFeatures([first('email'), later], C)).toMatchObject({ acquired_paid: 0, acquired_email: 1 });
    expect(computeFeatures([page(id, '2021-01-01T00:00:00Z'), later], C)).toMatchObject({ acquired_paid: 0, acquired_email: 0 });
  });

  it('lists the new features, documented, in the model feature list', () => {
    for (const name of ['nps_latest', 'nps_detractor', 'csat_mean_365d', 'tickets_open', 'complaints_90d', 'acquired_paid'] as const) {
      expect(FEATURE_NAMES).toContain(name);
    }
    expect(FEATURES.filter((f) => f.group === 'satisfaction').length).toBe(10);
  });
});

describe('health score', () => {
  const recent = (): StoredEvent[] => [
    order(id, 'o1', '2021-03-02T00:00:00Z', 40),
    page(id, '2021-03-25T10:00:00Z'),
    page(id, '2021-03-26T10:00:00Z'),
  ];

  it('combines activity, interaction, satisfaction and complaints with the documented weights', () => {
    const h = healthScore(computeFeatures(recent(), C));
    // Last visit 5d 14h ago: 100 x 0.5^(5.583/60) = 94; 2 sessions of 4 = 50; no survey; no tickets.
    expect(h.components).toEqual({ activity: 94, interaction: 50, satisfaction: null, complaints: 100 });
    const w = HEALTH_WEIGHTS;
    expect(h.score).toBe(Math.round((w.activity * 94 + w.interaction * 50 + w.complaints * 100) / (w.activity + w.interaction + w.complaints)));
    expect(h.band).toBe('good');
  });

  it('falls when the customer answers as a detractor and files a complaint, and rises with a promoter answer', () => {
    const base = healthScore(computeFeatures(recent(), C));
    const unhappy = healthScore(
      computeFeatures(
        [
          ...recent(),
          signal('Survey Responded', '2021-03-27T00:00:00Z', { score: 2, scale: 'nps' }),
          signal('Complaint Filed', '2021-03-27T01:00:00Z', { severity: 'high' }),
          signal('Ticket Opened', '2021-03-27T02:00:00Z', { ticketId: 'T9' }),
        ],
        C,
      ),
    );
    expect(unhappy.components.satisfaction).toBe(20);
    expect(unhappy.components.complaints).toBe(100 - 25 - 10 - 15 - 10);
    expect(unhappy.score).toBeLessThan(base.score);
    const happy = healthScore(computeFeatures([...recent(), signal('Survey Responded', '2021-03-27T00:00:00Z', { score: 10, scale: 'nps' })], C));
    expect(happy.components.satisfaction).toBe(100);
    expect(happy.score).toBeGreaterThan(base.score);
  });

  it('stays within 0-100 for an empty log and for a flood of complaints', () => {
    const empty = healthScore(computeFeatures([], C));
    expect(empty.components.activity).toBe(0);
    const flood = Array.from({ length: 20 }, (_, i) => signal('Complaint Filed', `2021-03-${String(i + 1).padStart(2, '0')}T00:00:00Z`, { severity: 'critical' }));
    const h = healthScore(computeFeatures([...recent(), ...flood], C));
    expect(h.components.complaints).toBe(0);
    for (const v of [empty.score, h.score]) expect(v >= 0 && v <= 100).toBe(true);
  });
});

