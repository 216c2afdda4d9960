import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMessage, recommendedProducts, productCatalog } from '../../functions/campaigns/render.js';
import { compileTemplate } from '../../functions/campaigns/template-language.js';
import { loadTemplate, unknownVariables } from '../../functions/campaigns/template-files.js';
import type { Coupon } from '../../functions/campaigns/rewards.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { TemplateError } from '../../functions/campaigns/errors.js';

const templatesDir = path.resolve('campaigns/templates');
const coupon: Coupon = {
  code: 'WB20-7K3QF-XM2PA',
  campaignId: 'winback',
  customerId: 'c-1',
  entryId: 'e-1',
  percentOff: 20,
  issuedAt: '2026-03-01T12:00:00.000Z',
  validUntil: '2026-03-15T12:00:00.000Z',
};
const base = {
  campaign: { id: 'winback', name: 'Win-back' },
  variant: 'A',
  coupon,
  points: { balance: 150, awarded: 100 },
  recommendations: [{ sku: 'S1', name: 'Mug <b>XL</b>', category: 'Kitchen', reason: 'popular-in-category' as const }],
  unsubscribeUrl: 'https://mail.example.com/unsubscribe?token=abc.def',
  preferencesUrl: 'https://mail.example.com/preferences?token=abc.def',
  templatesDir,
};
const TEMPLATES = ['winback-offer', 'winback-reminder', 'at-risk-nudge', 'cart-reminder', 'thank-you-points', 'tier-upgrade'];

describe('rendering', () => {
  it('escapes markup and quotes from traits in HTML and keeps CR/LF out of the subject', async () => {
    const evil = '<script>alert(1)</script>"\r\nBcc: victim@example.com';
    const msg = await renderMessage({ ...base, template: 'winback-offer', customer: { customerId: 'c-1', traits: { firstName: evil }, tier: 'gold' } });
    expect(msg.html).not.toContain('<script>');
    expect(msg.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    expect(msg.html).toContain('Mug &lt;b&gt;XL&lt;/b&gt;');
    expect(msg.subject).not.toMatch(/[\r\n]/);
    expect(msg.subject.startsWith('<script>alert(1)</script>" Bcc: victim@example.com, we miss you: 20% off')).toBe(true);
    for (const value of Object.values(msg.headers)) expect(value).not.toMatch(/[\r\n]/);
    expect(msg.preheader).toBe('Your personal code WB20-7K3QF-XM2PA is valid until 15 March 2026.');
  });

  it('sets the RFC 8058 headers and links the pages in both parts', async () => {
    const msg = await renderMessage({ ...base, template: 'winback-offer', customer: { customerId: 'c-1', traits: { firstName: 'Ada' } } });
    expect(msg.headers).toEqual({
      'List-Unsubscribe': '<https://mail.example.com/unsubscribe?token=abc.def>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(msg.html).toContain('href="https://mail.example.com/unsubscribe?token&#61;abc.def"');
    expect(msg.text).toContain('Unsubscribe: https://mail.example.com/unsubscribe?token=abc.def');
    expect(msg.text).toContain('Your code: WB20-7K3QF-XM2PA');
    expect(msg.html).toMatch(/max-width:600px/);
    expect(msg.subject).toBe('Ada, we miss you: 20% off your next order');
  });

  it('renders every shipped template completely, with and without optional data', async () => {
    for (const name of TEMPLATES) {
      const template = await loadTemplate(name, templatesDir);
      expect(unknownVariables(template), name).toEqual([]);
      for (const traits of [{ firstName: 'Ada' }, {}]) {
        const msg = await renderMessage({ ...base, template, customer: { customerId: 'c-1', traits, tier: 'gold' } });
        for (const part of [msg.subject, msg.preheader, msg.html, msg.text]) expect(part, name).not.toMatch(/\{\{|\}\}/);
        expect(msg.subject.length, name).toBeGreaterThan(5);
        expect(msg.text.length, name).toBeGreaterThan(40);
      }
    }
    const plain = await renderMessage({ ...base, template: 'winback-offer', customer: { customerId: 'c', traits: {} } });
    expect(plain.subject).toBe('We miss you: 20% off your next order');
  });

  it('lets a variant subject override the template front matter', async () => {
    const msg = await renderMessage({ ...base, template: 'winback-offer', subject: '{{firstName}}, a gift', customer: { customerId: 'c', traits: { first_name: 'Grace' } } });
    expect(msg.subject).toBe('Grace, a gift');
  });
});

describe('the template engine', () => {
  it('loops with item scope, else branches, and never prints objects', () => {
    const t = compileTemplate('{{#each items}}{{@number}}.{{name}}({{tier}}){{else}}none{{/each}}|{{obj}}|{{#unless missing}}ok{{/unless}}', 't');
    expect(t.render({ items: [{ name: 'a' }, { name: '<b>' }], tier: 'gold', obj: { x: 1 } }, 'html')).toBe('1.a(gold)2.&lt;b&gt;(gold)||ok');
    expect(t.render({ items: [] }, 'text')).toBe('none||ok');
    // names inside a loop may be item fields, so only names outside loops are checked against the known set
    expect([...t.variables].sort()).toEqual(['items', 'missing', 'obj']);
  });

  it('reports syntax errors with the line', () => {
    expect(() => compileTemplate('a\n{{#each x}}\n{{/if}}', 't')).toThrow(/t:3: "\{\{\/if\}\}" closes \{\{#each\}\} opened on line 2/);
    expect(() => compileTemplate('{{#with x}}{{/with}}', 't')).toThrow(TemplateError);
    expect(() => compileTemplate('{{a b}}', 't')).toThrow(/not a variable name/);
  });
});

describe('recommended products', () => {
  const order = (id: string, items: Array<[string, string, number]>, status: 'placed' | 'refunded' = 'placed'): StoredEvent => ({
    eventId: `ord:${id}:${status}`,
    customerId: 'c-1',
    kind: 'order',
    name: status,
    timestamp: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:00.000Z',
    source: 'shop',
    properties: {},
    order: { orderId: id, status, currency: 'GBP', total: 10, discount: 0, items: items.map(([sku, category, quantity]) => ({ sku, name: `N-${sku}`, category, quantity, unitPrice: 1 })) },
  });

  it('picks popular products of the most-bought categories the customer lacks, then buy-again, deterministically', () => {
    const history = [order('o1', [['K1', 'Kitchen', 3], ['G1', 'Garden', 1]]), order('o2', [['K2', 'Kitchen', 1]]), order('o3', [['T1', 'Toys', 9]]), order('o3', [], 'refunded')];
    const catalog = productCatalog([
      order('x1', [['K9', 'Kitchen', 50], ['K8', 'Kitchen', 70], ['G9', 'Garden', 90], ['K1', 'Kitchen', 99], ['T9', 'Toys', 99]]),
    ]);
    const recs = recommendedProducts(history, 4, catalog);
    // Kitchen (4 units) before Garden (1); Toys only came from a refunded order
    expect(recs.map((r) => `${r.sku}:${r.reason}`)).toEqual(['K8:popular-in-category', 'K9:popular-in-category', 'G9:popular-in-category', 'K1:buy-again']);
    expect(recommendedProducts(history, 4, catalog)).toEqual(recs);
    expect(recommendedProducts([], 3, catalog)).toEqual([]);
  });
});
