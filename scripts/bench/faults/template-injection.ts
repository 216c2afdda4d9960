import path from 'node:path';
import { renderMessage } from '../../../functions/campaigns/render.js';
import { sendCampaignEmail } from '../../../functions/campaigns/send.js';
import { noEmailEventPublisher } from '../../../functions/campaigns/ses-events.js';
import { TokenBucket } from '../../../functions/campaigns/rate-limit.js';
import { unsubscribeLinks } from '../../../functions/campaigns/tokens.js';
import { installFaultySes } from './faulty-ses.js';
import type { Scenario } from './scenario.js';

/**
 * Hostile values in traits and event properties (XSS in several contexts, header injection with
 * CR/LF, template syntax) rendered into the subject, the HTML and the text of a real template and
 * sent: the HTML holds none of them unescaped, and no header (subject, List-Unsubscribe...) holds
 * a CR or LF.
 */
const BASE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '<a href="javascript:alert(1)">x</a>',
  '</p><iframe src=//evil.example></iframe>',
  'Ada\r\nBcc: victim@example.com',
  'Ada\nSubject: free money',
  'Ada\r\n\r\n<html>body</html>',
  '{{constructor.constructor("alert(1)")()}}',
  '${7*7}<b>',
  '&lt;script&gt;',
  '<style>@import "//evil.example"</style>',
  '\u2028<script>\u2029',
  'Zoë 👋 <u>',
  '%0d%0aBcc:%20x@example.com',
];

export function injectionPayloads(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i < BASE.length ? BASE[i]! : `${BASE[i % BASE.length]}#${i}<i>`));
}

const UNSAFE_IN_HTML = /[<>"'&]/;

export const templateInjection: Scenario = {
  name: 'template-injection',
  volume: 100,
  minimum: 15,
  guarantee: 'customer data rendered into mail is escaped in HTML and cannot add or break a header',
  async run({ stack, operations }) {
    const payloads = injectionPayloads(operations);
    const ses = installFaultySes(() => ({ kind: 'pass' }));
    let unescaped = 0;
    let crlf = 0;
    let notSent = 0;
    try {
      for (const [i, payload] of payloads.entries()) {
        const customerId = `inject-${i}`;
        const links = unsubscribeLinks({ customerId, email: `inject-${i}@example.com`, topic: 'marketing', campaignId: 'bench-inject' }, { baseUrl: stack.apiUrl, now: new Date(), ttlDays: 30 });
        const message = await renderMessage({
          template: 'winback-reminder',
          templatesDir: path.resolve('campaigns/templates'),
          customer: { customerId, traits: { firstName: payload, lastName: payload } },
          campaign: { id: 'bench-inject', name: payload },
          variant: 'A',
          coupon: { code: 'WB-AAAAA-BBBBB', campaignId: 'bench-inject', customerId, entryId: 'e', percentOff: 10, issuedAt: '2026-01-01T00:00:00Z', validUntil: '2026-02-01T00:00:00Z' },
          recommendations: [{ sku: `sku-${i}`, name: payload, reason: 'buy-again' }],
          subject: '{{firstName}} {{campaign.name}}',
          unsubscribeUrl: links.unsubscribeUrl,
          preferencesUrl: links.preferencesUrl,
        });
        if (UNSAFE_IN_HTML.test(payload) && message.html.includes(payload)) unescaped++;
        // Markup the template itself never has: a tag or handler only the payload can have put there
        // (escaped text such as "javascript:" inside a <title> is harmless and not counted).
        for (const tag of ['<script', 'onerror=', 'onload=', '<iframe', '<svg', '<img', 'href="javascript:', '<html>']) {
          if (payload.toLowerCase().includes(tag) && message.html.toLowerCase().includes(tag)) unescaped++;
        }
        const out = await sendCampaignEmail(
          { table: stack.tableName, campaign: { id: 'bench-inject' }, customerId, stepId: 'offer', entryId: `inject-${i}`, variant: 'A', group: 'treatment', message, to: `inject-${i}@example.com`, template: 'winback-reminder' },
          { limiter: new TokenBucket(10_000, 10_000), publisher: noEmailEventPublisher },
        );
        if (out.status !== 'sent') notSent++;
      }
      for (const call of ses.calls) {
        const simple = call.input['Content']?.['Simple'];
        const headerValues: string[] = [simple?.Subject?.Data ?? '', ...((simple?.Headers ?? []) as Array<{ Name: string; Value: string }>).flatMap((h) => [h.Name, h.Value])];
        if (headerValues.some((v) => /[\r\n]/.test(v))) crlf++;
      }
    } finally {
      ses.restore();
    }
    return { operations: payloads.length, lost: notSent, duplicated: 0, violations: unescaped + crlf, notes: { unescaped, crlfInHeaders: crlf, sends: ses.calls.length } };
  },
};
