import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { storeEvents, type StoreOptions } from '../store/events.js';
import { getProfile, type CustomerProfile } from '../store/profiles.js';
import { getSuppressions, liftSuppression, suppress } from '../store/suppression.js';
import type { TokenClaims } from './tokens.js';

/**
 * What the unsubscribe and preference pages change, through the store's own mechanisms:
 *
 *  - an unsubscribe is stored as an email `subscription` event (the shape SES's own subscription
 *    events take), keyed `unsub:<token id>`: its profile patch withdraws consent for the topic
 *    ('*': everything), and outcomes count it per campaign and variant. For '*' the address is
 *    also suppressed (reason `unsubscribe`). A repeated POST of the same link finds consent already
 *    withdrawn and writes nothing; a concurrent repeat rewrites the same event id (converges).
 *  - a preference change is an `identify` event (source `preferences`) whose consent traits become
 *    a profile patch, written only when something changes. Opting back in to a topic after
 *    "unsubscribe from everything" lifts the `unsubscribe` suppression (never a bounce or complaint).
 */
export interface UnsubscribeContext extends StoreOptions {
  readonly now: Date;
}

export interface UnsubscribeOutcome {
  /** false: the customer was already unsubscribed from the topic (nothing written). */
  readonly changed: boolean;
  readonly topic: string;
}

function alreadyOut(profile: CustomerProfile | undefined, topic: string): boolean {
  return profile?.consent[topic]?.granted === false;
}

export async function unsubscribeWithToken(claims: TokenClaims, id: string, ctx: UnsubscribeContext): Promise<UnsubscribeOutcome> {
  const profile = await getProfile(ctx.table, claims.customerId);
  const all = claims.topic === '*';
  const suppressed = all ? (await getSuppressions(ctx.table, claims.email)).some((s) => s.reason === 'unsubscribe') : true;
  if (alreadyOut(profile, claims.topic) && suppressed) return { changed: false, topic: claims.topic };
  const at = ctx.now.toISOString();
  const eventId = `unsub:${id}`;
  const event: StoredEvent = {
    eventId,
    customerId: claims.customerId,
    userId: claims.customerId,
    kind: 'email',
    name: 'subscription',
    timestamp: at,
    receivedAt: at,
    source: 'unsubscribe',
    properties: { topic: claims.topic, method: 'list-unsubscribe' },
    email: {
      type: 'subscription',
      messageId: `unsubscribe:${id}`,
      ...(claims.campaignId ? { campaignId: claims.campaignId } : {}),
      ...(claims.variant ? { variant: claims.variant } : {}),
      ...(all ? { unsubscribedAll: true, unsubscribedTopics: [] } : { unsubscribedAll: false, unsubscribedTopics: [claims.topic] }),
    },
  };
  await storeEvents([event], { table: ctx.table, retentionDays: ctx.retentionDays });
  if (all) await suppress(ctx.table, claims.email, { reason: 'unsubscribe', at, eventId, detail: 'list-unsubscribe' });
  return { changed: true, topic: claims.topic };
}

export interface PreferenceChoice {
  /** Topic -> subscribed, for the topics shown on the page. */
  readonly topics: Readonly<Record<string, boolean>>;
  /** "Unsubscribe from everything" ('*' = false and a suppression). */
  readonly unsubscribeAll: boolean;
}

export async function savePreferences(
  claims: TokenClaims,
  id: string,
  choice: PreferenceChoice,
  ctx: UnsubscribeContext,
): Promise<{ changed: boolean }> {
  if (choice.unsubscribeAll) {
    const out = await unsubscribeWithToken({ ...claims, topic: '*' }, `${id}:all`, ctx);
    return { changed: out.changed };
  }
  const profile = await getProfile(ctx.table, claims.customerId);
  const consent: Record<string, boolean> = {};
  for (const [topic, subscribed] of Object.entries(choice.topics)) {
    if (profile?.consent[topic]?.granted !== subscribed) consent[topic] = subscribed;
  }
  const optingBackIn = Object.values(choice.topics).some(Boolean);
  const allOut = profile?.consent['*']?.granted === false;
  if (optingBackIn && allOut) consent['*'] = true;
  const at = ctx.now.toISOString();
  if (Object.keys(consent).length > 0) {
    const event: StoredEvent = {
      eventId: `pref:${id}:${ctx.now.getTime()}`,
      customerId: claims.customerId,
      userId: claims.customerId,
      kind: 'identify',
      name: 'identify',
      timestamp: at,
      receivedAt: at,
      source: 'preferences',
      properties: {},
      traits: { consent },
    };
    await storeEvents([event], { table: ctx.table, retentionDays: ctx.retentionDays });
  }
  let lifted = false;
  if (optingBackIn && (await getSuppressions(ctx.table, claims.email)).some((s) => s.reason === 'unsubscribe')) {
    await liftSuppression(ctx.table, claims.email, 'unsubscribe');
    lifted = true;
  }
  return { changed: Object.keys(consent).length > 0 || lifted };
}
