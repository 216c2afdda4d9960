import { TABLE } from '../../kernel/settings.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { normalizeEmail } from '../../kernel/ids.js';
import { customerPk, patchSk, emailPk, PROFILE_SK, customerShard, customersShardPk } from './keys.js';
import type { Item, WriteRequest } from './batch.js';
import { queryAll } from './query.js';

/**
 * The profile is not one mutable item: it is the time-ordered merge of "patches" (traits and
 * consent changes), each keyed by its event. Patches are plain idempotent puts, so duplicates
 * and out-of-order delivery converge to the same profile, with no conditional writes.
 */
export interface ConsentState {
  readonly granted: boolean;
  readonly at: string;
  readonly source: string;
}

export interface CustomerProfile {
  readonly customerId: string;
  readonly email?: string;
  readonly timezone?: string;
  readonly traits: Record<string, unknown>;
  /** Per topic; '*' is "all marketing" (e.g. an SES unsubscribe-all). */
  readonly consent: Record<string, ConsentState>;
  /** Segment `group` calls: the accounts (companies) the customer belongs to, each with its traits. */
  readonly groups?: Record<string, Record<string, unknown>>;
  /** The account of the customer's most recent `group` call. */
  readonly groupId?: string;
  readonly updatedAt?: string;
}

export interface ProfilePatch {
  readonly traits?: Record<string, unknown>;
  readonly consent?: Record<string, boolean>;
  /** groupId -> the group's traits (a group call's traits describe the account, not the person). */
  readonly groups?: Record<string, Record<string, unknown>>;
}

/** What an event changes in the profile, if anything. */
export function patchFromEvent(event: StoredEvent): ProfilePatch | undefined {
  if (event.kind === 'group') {
    return event.groupId === undefined ? undefined : { groups: { [event.groupId]: event.traits ?? {} } };
  }
  if (event.kind === 'email' && event.email?.type === 'subscription') {
    const consent: Record<string, boolean> = {};
    if (event.email.unsubscribedAll) consent['*'] = false;
    for (const topic of event.email.unsubscribedTopics ?? []) consent[topic] = false;
    return Object.keys(consent).length ? { consent } : undefined;
  }
  if (!event.traits || Object.keys(event.traits).length === 0) return undefined;
  const { consent: rawConsent, ...traits } = event.traits;
  const consent: Record<string, boolean> = {};
  if (rawConsent && typeof rawConsent === 'object') {
    for (const [topic, value] of Object.entries(rawConsent as Record<string, unknown>)) {
      if (typeof value === 'boolean') consent[topic] = value;
    }
  }
  return {
    ...(Object.keys(traits).length ? { traits } : {}),
    ...(Object.keys(consent).length ? { consent } : {}),
  };
}

/**
 * The writes an event implies beyond itself: its profile patch (changes with every event) and
 * the email index entry (immutable: the same key always holds the same item).
 */
export function profileWrites(event: StoredEvent): { patch?: WriteRequest; emailIndex?: WriteRequest } {
  const patch = patchFromEvent(event);
  if (!patch || !(patch.traits || patch.consent || patch.groups)) return {};
  const email = patch.traits?.['email'];
  return {
    patch: {
      PutRequest: {
        Item: {
          pk: customerPk(event.customerId),
          sk: patchSk(event.eventId),
          at: event.timestamp,
          source: event.source,
          eventId: event.eventId,
          ...patch,
        },
      },
    },
    ...(typeof email === 'string' && email.includes('@')
      ? {
          emailIndex: {
            PutRequest: { Item: { pk: emailPk(normalizeEmail(email)), sk: customerPk(event.customerId), customerId: event.customerId } },
          },
        }
      : {}),
  };
}

export function registryWrite(customerId: string): WriteRequest {
  return {
    PutRequest: {
      Item: {
        pk: customerPk(customerId),
        sk: PROFILE_SK,
        customerId,
        [TABLE.gsi1PartitionKey]: customersShardPk(customerShard(customerId)),
        [TABLE.gsi1SortKey]: customerId,
      },
    },
  };
}

/**
 * The order patches apply in: by the time of their event, ties by key. (Keys do not hold the time:
 * a skew-corrected time differs between redeliveries, and the key must not.)
 */
export function patchOrder(a: Item, b: Item): number {
  return compareText(String(a['at']), String(b['at'])) || compareText(String(a['sk']), String(b['sk']));
}
const compareText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

export function mergePatches(customerId: string, patches: readonly Item[]): CustomerProfile {
  const sorted = [...patches].sort(patchOrder);
  const traits: Record<string, unknown> = {};
  const consent: Record<string, ConsentState> = {};
  const groups: Record<string, Record<string, unknown>> = {};
  let groupId: string | undefined;
  let updatedAt: string | undefined;
  for (const p of sorted) {
    Object.assign(traits, (p['traits'] as Record<string, unknown> | undefined) ?? {});
    for (const [id, groupTraits] of Object.entries((p['groups'] as Record<string, Record<string, unknown>> | undefined) ?? {})) {
      groups[id] = { ...(groups[id] ?? {}), ...groupTraits };
      groupId = id;
    }
    for (const [topic, granted] of Object.entries((p['consent'] as Record<string, boolean> | undefined) ?? {})) {
      consent[topic] = { granted, at: String(p['at']), source: String(p['source']) };
    }
    updatedAt = String(p['at']);
  }
  const email = typeof traits['email'] === 'string' ? (traits['email'] as string) : undefined;
  const timezone = typeof traits['timezone'] === 'string' ? (traits['timezone'] as string) : undefined;
  return {
    customerId,
    ...(email ? { email } : {}),
    ...(timezone ? { timezone } : {}),
    traits,
    consent,
    ...(groupId !== undefined ? { groups, groupId } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
}

/** The merged profile, or undefined when winback has never heard of the customer. */
export async function getProfile(table: string, customerId: string): Promise<CustomerProfile | undefined> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':a': 'P#', ':b': 'PROFILE' },
    ConsistentRead: true,
  });
  const known = items.some((i) => i['sk'] === PROFILE_SK);
  const patches = items.filter((i) => String(i['sk']).startsWith('P#'));
  if (!known && patches.length === 0) return undefined;
  return mergePatches(customerId, patches);
}

/** Customer ids known for an email address (an address can belong to more than one id). */
export async function customersByEmail(table: string, email: string): Promise<string[]> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': emailPk(normalizeEmail(email)) },
  });
  return items.map((i) => String(i['customerId'])).sort();
}
