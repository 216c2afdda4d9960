import type { Config } from '../commons/config.js';
import { queryCustomerEvents } from '../store/events.js';
import { recentSends, sendsSince, type LedgerEntry } from '../store/ledger.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import type { ConsentState, CustomerProfile } from '../store/profiles.js';
import { isSuppressed } from '../store/suppression.js';
import type { CampaignDefinition } from './definition/schema.js';
import { matchesEvent } from './matchers.js';

/**
 * Eligibility at send time, every time (never cached in a journey): in this order,
 *
 *   no-email       no profile, or no email address on it
 *   suppressed     the address is on the suppression list (bounce, complaint, unsubscribe, manual);
 *                  transactional mail too
 *   no-consent     the topic's consent, see `consentAllows`
 *   exited         the campaign's goal event happened since the customer entered (when `enteredAt` is given)
 *   frequency-cap  already `max` non-transactional emails in the window (ledger: sent or pending);
 *                  transactional mail is exempt. `retryAt`: when the oldest of them leaves the window
 *   quiet-hours    local time in the customer's timezone is within quiet hours (default 21:00-08:00);
 *                  `retryAt`: the end of the quiet hours. Delay, don't drop. A missing or invalid
 *                  timezone falls back to DEFAULT_TIMEZONE.
 *
 * The cap is checked, not reserved: two campaigns sending to one customer in the same instant can
 * both pass it (a soft cap; the orchestration runs a customer's sends one at a time).
 */
export type IneligibleReason = 'no-consent' | 'suppressed' | 'frequency-cap' | 'quiet-hours' | 'no-email' | 'exited';

export type Eligibility =
  | { readonly eligible: true }
  | { readonly eligible: false; readonly reason: IneligibleReason; readonly retryAt?: string };

export interface EligibilityCaps {
  /** opt-out: mail unless opted out ("soft opt-in"); opt-in: only with an explicit grant. */
  readonly consentMode: 'opt-in' | 'opt-out';
  readonly frequencyCap: { readonly max: number; readonly windowMs: number };
  /** HH:MM local; start inclusive, end exclusive; start > end wraps midnight; start = end: none. */
  readonly quietHours?: { readonly start: string; readonly end: string };
  readonly defaultTimezone: string;
}

export function capsFromConfig(config: Config): EligibilityCaps {
  return {
    consentMode: config.CONSENT_MODE,
    frequencyCap: { max: config.FREQUENCY_CAP_MAX, windowMs: config.FREQUENCY_CAP_WINDOW_DAYS * 86_400_000 },
    quietHours: { start: config.QUIET_HOURS_START, end: config.QUIET_HOURS_END },
    defaultTimezone: config.DEFAULT_TIMEZONE,
  };
}

export interface EligibilityInput {
  readonly table: string;
  readonly campaign: Pick<CampaignDefinition, 'id' | 'topic' | 'transactional'> & { readonly goal?: CampaignDefinition['goal'] };
  readonly customerId: string;
  /** The merged profile, read at send time (getProfile); undefined when unknown. */
  readonly profile: CustomerProfile | undefined;
  readonly now: Date;
  readonly caps: EligibilityCaps;
  /** When the customer entered the journey (ISO); enables the goal exit check. */
  readonly enteredAt?: string;
  /** What the caller has already read (the send step's one Query of the partition): those reads are skipped. */
  readonly known?: {
    readonly eventsSinceEntry?: readonly StoredEvent[];
    /** Every ledger entry of the customer. */
    readonly ledger?: readonly LedgerEntry[];
  };
}

export async function checkEligibility(input: EligibilityInput): Promise<Eligibility> {
  const { profile, campaign, caps, now } = input;
  const email = profile?.email;
  if (!profile || !email) return { eligible: false, reason: 'no-email' };
  if (await isSuppressed(input.table, email)) return { eligible: false, reason: 'suppressed' };
  if (!consentAllows(profile.consent, campaign.topic, campaign.transactional, caps.consentMode)) {
    return { eligible: false, reason: 'no-consent' };
  }
  if (input.enteredAt !== undefined && campaign.goal) {
    const goal = campaign.goal.event;
    const events = input.known?.eventsSinceEntry ?? (await queryCustomerEvents(input.table, input.customerId, { from: input.enteredAt, to: now.toISOString() }));
    if (events.some((e) => matchesEvent(goal, e))) return { eligible: false, reason: 'exited' };
  }
  if (!campaign.transactional) {
    const { max, windowMs } = caps.frequencyCap;
    const since = new Date(now.getTime() - windowMs);
    const sends = input.known?.ledger ? sendsSince(input.known.ledger, since) : await recentSends(input.table, input.customerId, since);
    if (sends.length >= max) {
      const times = sends.map((s) => Date.parse(s.sentAt ?? s.createdAt)).sort((a, b) => a - b);
      // The cap frees a slot when the (count - max + 1)-th oldest send leaves the window.
      const freeing = times[sends.length - max] ?? now.getTime();
      return { eligible: false, reason: 'frequency-cap', retryAt: new Date(freeing + windowMs).toISOString() };
    }
  }
  const retryAt = quietHoursEnd(now, profile.timezone, caps);
  if (retryAt) return { eligible: false, reason: 'quiet-hours', retryAt: retryAt.toISOString() };
  return { eligible: true };
}

/* ---------------------------------- consent ---------------------------------- */

/**
 * Consent for a topic. An explicit opt-out of the campaign's own topic always blocks. For
 * marketing (non-transactional) mail, the most recent explicit choice between the topic and '*'
 * (everything) decides (a tie: the opt-out); with no explicit choice, opt-out mode mails (soft
 * opt-in of existing customers) and opt-in mode does not. Transactional mail ignores '*' (it is
 * not marketing) but honours its own topic, and suppression (checked separately).
 */
export function consentAllows(
  consent: Readonly<Record<string, ConsentState>>,
  topic: string,
  transactional: boolean,
  mode: 'opt-in' | 'opt-out',
): boolean {
  const own = consent[topic];
  if (own && !own.granted) return false;
  if (transactional) return true;
  const all = consent['*'];
  let latest: ConsentState | undefined = own ?? all;
  if (own && all) latest = all.at > own.at ? all : own.at > all.at ? own : { ...own, granted: own.granted && all.granted };
  if (latest) return latest.granted;
  return mode === 'opt-out';
}

/* ---------------------------------- quiet hours ---------------------------------- */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** A valid IANA timezone, else the default. */
export function resolveTimezone(timezone: string | undefined, fallback: string): string {
  return timezone && formatter(timezone) ? timezone : fallback;
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts = Object.fromEntries(formatter(timeZone)!.formatToParts(instant).map((p) => [p.type, p.value]));
  return { year: Number(parts['year']), month: Number(parts['month']), day: Number(parts['day']), hour: Number(parts['hour']) % 24, minute: Number(parts['minute']) };
}

function offsetMs(instant: number, timeZone: string): number {
  const w = wallTime(new Date(instant), timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return asUtc - Math.floor(instant / 60_000) * 60_000;
}

/** The instant a wall-clock time occurs in a timezone (DST-aware; a skipped time resolves just after the gap). */
export function zonedTimeToUtc(w: WallTime, timeZone: string): Date {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  return new Date(second);
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** When quiet hours end if `now` is within them for this timezone, else undefined. Pure. */
export function quietHoursEnd(now: Date, timezone: string | undefined, caps: Pick<EligibilityCaps, 'quietHours' | 'defaultTimezone'>): Date | undefined {
  if (!caps.quietHours) return undefined;
  const start = minutesOf(caps.quietHours.start);
  const end = minutesOf(caps.quietHours.end);
  if (start === end) return undefined;
  const tz = resolveTimezone(timezone, caps.defaultTimezone);
  const local = wallTime(now, tz);
  const m = local.hour * 60 + local.minute;
  const quiet = start > end ? m >= start || m < end : m >= start && m < end;
  if (!quiet) return undefined;
  // The end is today (local) if it is still ahead, else tomorrow.
  const dayOffset = m < end ? 0 : 1;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + dayOffset));
  return zonedTimeToUtc(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: Math.floor(end / 60), minute: end % 60 },
    tz,
  );
}
