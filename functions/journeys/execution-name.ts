import { createHash } from 'node:crypto';

/**
 * Step Functions execution names: 1-80 characters of [A-Za-z0-9-_] (what the console, the
 * metrics and the logs accept). A journey's name is derived from (campaign, customer, trigger
 * instance) only, so the same trigger delivered twice asks for the same name and Step Functions
 * refuses the second start (ExecutionAlreadyExists): one journey per trigger, by construction.
 */
export const MAX_EXECUTION_NAME = 80;
const HASH_CHARS = 16;

export interface JourneyKey {
  readonly campaignId: string;
  readonly customerId: string;
  readonly triggerId: string;
}

const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Readable when it can be (`<campaign>--<customer>--<trigger>`), else a readable prefix plus a
 * hash of the exact key: whenever sanitising changed a character (so `a.b` and `a_b` cannot
 * collide) or the name would exceed 80 characters.
 */
export function journeyExecutionName(key: JourneyKey): string {
  const raw = `${key.campaignId}--${key.customerId}--${key.triggerId}`;
  const clean = sanitize(raw);
  if (clean === raw && raw.length <= MAX_EXECUTION_NAME) return raw;
  const hash = createHash('sha256')
    .update(JSON.stringify([key.campaignId, key.customerId, key.triggerId]))
    .digest('hex')
    .slice(0, HASH_CHARS);
  return `${clean.slice(0, MAX_EXECUTION_NAME - HASH_CHARS - 1)}-${hash}`;
}

/** Name of an audience fan-out run: one per (campaign, schedule tick or manual run id). */
export function fanoutExecutionName(campaignId: string, runId: string): string {
  return journeyExecutionName({ campaignId, customerId: 'audience', triggerId: runId });
}

export function isValidExecutionName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_EXECUTION_NAME && /^[A-Za-z0-9_-]+$/.test(name);
}
