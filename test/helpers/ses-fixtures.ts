import { readFileSync } from 'node:fs';

/** The AWS example SES event records in test/fixtures/ses/, by file name ('open', 'bounce-permanent', ...). */
export function sesFixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/ses/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
}

/** An example record re-addressed to one recipient (and, given one, tagged with a customer id). */
export function addressedSesRecord(name: string, to: { email: string; messageId: string; customerId?: string }): Record<string, any> {
  const r = sesFixture(name);
  r['mail'].messageId = to.messageId;
  r['mail'].destination = [to.email];
  if (to.customerId) r['mail'].tags = { ...r['mail'].tags, customer: [to.customerId] };
  for (const k of ['bounce', 'complaint'] as const) {
    const list = r[k]?.[k === 'bounce' ? 'bouncedRecipients' : 'complainedRecipients'];
    if (list) list[0].emailAddress = to.email;
  }
  if (r['delivery']) r['delivery'].recipients = [to.email];
  return r;
}
