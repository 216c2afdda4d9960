import { assignGroup } from '../campaigns/assignment.js';
import { stepKind, type CampaignDefinition, type CampaignStep } from '../campaigns/definition/schema.js';
import { matchesAttribute, matchesEvent, type EventMatcher } from '../campaigns/matchers.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { queryCustomerEvents } from '../store/events.js';
import { journeyNow, realWakeAt } from './clock.js';
import { attributeSubject, customerFacts } from './customer-facts.js';
import { claimActiveJourney, closeEntry, createEntry, customerEntries } from '../store/journey-entries.js';
import { reentryDecision } from './reentry.js';
import { JourneyStateError } from './errors.js';
import { journeyExecutionName } from './execution-name.js';
import type { JourneyProgress, JourneyState, Outcome, StepView } from './journey-state.js';

/**
 * The journey's steps, one action per Task state of the generic state machine. Each action takes
 * the execution's state and returns the next one; all time comes in as `realNow` and is turned
 * into journey time with the clock's scale (clock.ts).
 */
export interface JourneyContext {
  readonly table: string;
  readonly campaign: CampaignDefinition;
  readonly realNow: Date;
  /** JOURNEY_TIME_SCALE */
  readonly scale: number;
  /** Journey seconds between two checks of a wait-until step. */
  readonly pollSeconds: number;
}

/** Guard against a branch cycle without waits spinning forever (Step Functions would stop it at 25,000 events). */
const MAX_HOPS = 500;

const view = (type: StepView['type'], index: number, id: string, reason?: string): StepView => ({
  type,
  index,
  id,
  ...(reason ? { reason } : {}),
});

function progressOf(state: JourneyState): JourneyProgress {
  if (!state.journey) throw new JourneyStateError('the journey has not been loaded (no $.journey)');
  return state.journey;
}

function clockOf(ctx: JourneyContext, progress: Pick<JourneyProgress, 'startedAt' | 'scale'>): Date {
  return journeyNow(progress.startedAt, ctx.realNow, progress.scale);
}

/** Enters the customer: campaign active, re-entry rule, sticky assignment, entry record. */
export async function load(ctx: JourneyContext, state: JourneyState): Promise<JourneyState> {
  const { campaign, realNow } = ctx;
  const startedAt = realNow.toISOString();
  const base = { startedAt, enteredAt: startedAt, sends: 0, scale: ctx.scale };
  const notEntered = (reason: string): JourneyState => ({
    ...state,
    journey: { ...base, group: 'treatment', variant: '', step: view('exit', -1, 'entry', reason), entered: false },
  });
  if (campaign.status !== 'active') return notEntered(`campaign-${campaign.status}`);

  const previous = await customerEntries(ctx.table, campaign.id, state.customerId);
  const existing = previous.find((e) => e.triggerId === state.triggerId);
  if (existing && existing.status !== 'active') return notEntered('duplicate-trigger');
  if (!existing) {
    const decision = reentryDecision(previous, campaign.reentry, realNow, state.triggerId);
    if (!decision.allowed) return notEntered(decision.reason);
  }
  if (!(await claimActiveJourney(ctx.table, campaign.id, state.customerId, state.triggerId))) return notEntered('already-in-journey');
  const assignment = assignGroup(campaign.id, state.customerId, campaign.holdout, campaign.variants);
  // A retried LoadCampaign finds its own entry (same key) and continues with it.
  const { entry } = await createEntry(ctx.table, {
    campaignId: campaign.id,
    customerId: state.customerId,
    triggerId: state.triggerId,
    triggerType: state.trigger.type,
    executionName: journeyExecutionName(state),
    group: assignment.group,
    variant: assignment.variant,
    enteredAt: startedAt,
    status: 'active',
  });
  const progress: JourneyProgress = {
    ...base,
    startedAt: existing?.enteredAt ?? entry.enteredAt,
    enteredAt: entry.enteredAt,
    group: entry.group,
    variant: entry.variant,
    step: view('end', -1, 'start'),
    name: journeyExecutionName(state),
  };
  return { ...state, journey: { ...progress, ...prepare(ctx, progress, 0) } };
}

/**
 * The view of step `index` for this customer, skipping send steps meant for another variant,
 * with the wake-up time of waits computed on the journey clock.
 */
function prepare(ctx: JourneyContext, progress: JourneyProgress, index: number): Partial<JourneyProgress> & { step: StepView } {
  const steps = ctx.campaign.steps;
  let i = index;
  while (i < steps.length) {
    const step = steps[i]!;
    if ('send' in step && step.send.variant !== undefined && step.send.variant !== progress.variant) {
      i++;
      continue;
    }
    break;
  }
  const hops = (progress.hops ?? 0) + 1;
  if (hops > MAX_HOPS) throw new JourneyStateError(`more than ${MAX_HOPS} steps without ending: a branch cycle without a wait?`);
  const cleared: Partial<JourneyProgress> = { wakeAt: undefined, waitDeadline: undefined, waitSince: undefined, hops };
  if (i >= steps.length) return { ...cleared, step: view('end', i, 'end') };
  const step: CampaignStep = steps[i]!;
  const now = clockOf(ctx, progress);
  const wake = (journeyTarget: Date): string => realWakeAt(journeyTarget, now, ctx.realNow, progress.scale).toISOString();
  switch (stepKind(step)) {
    case 'send':
      return { ...cleared, step: view('send', i, step.id) };
    case 'wait': {
      const ms = (step as Extract<CampaignStep, { wait: unknown }>).wait.duration;
      return { ...cleared, step: view('wait', i, step.id), wakeAt: wake(new Date(now.getTime() + ms)) };
    }
    case 'waitUntil': {
      const ms = (step as Extract<CampaignStep, { waitUntil: unknown }>).waitUntil.timeout;
      const deadline = new Date(now.getTime() + ms);
      const firstCheck = new Date(Math.min(deadline.getTime(), now.getTime() + ctx.pollSeconds * 1000));
      return {
        ...cleared,
        step: view('waitUntil', i, step.id),
        waitSince: now.toISOString(),
        waitDeadline: deadline.toISOString(),
        wakeAt: wake(firstCheck),
      };
    }
    case 'branch':
      return { ...cleared, step: view('branch', i, step.id) };
    case 'exit':
      return { ...cleared, step: view('exit', i, step.id, (step as Extract<CampaignStep, { exit: unknown }>).exit.reason ?? 'exit-step') };
  }
}

async function eventsSince(ctx: JourneyContext, customerId: string, from: string, to: Date): Promise<StoredEvent[]> {
  return queryCustomerEvents(ctx.table, customerId, { from, to: new Date(to.getTime() + 1).toISOString() });
}

const seen = (events: readonly StoredEvent[], matcher: EventMatcher): boolean => events.some((e) => matchesEvent(matcher, e));

/**
 * Moves past the current step, unless the conversion goal has been met since entry (exit on
 * conversion). `known.converted`: the caller has just checked the goal (a send step's checks do),
 * so nothing is read again.
 */
export async function advance(ctx: JourneyContext, state: JourneyState, known?: { readonly converted: boolean }): Promise<JourneyState> {
  const progress = progressOf(state);
  const now = clockOf(ctx, progress);
  const converted = known ? known.converted : seen(await eventsSince(ctx, state.customerId, progress.enteredAt, now), ctx.campaign.goal.event);
  // The last send's result is counted once, here, and dropped: a later Advance (after a wait) must not count it again.
  const { send, eligibility: _eligibility, ...rest } = state;
  const sends = progress.sends + (send?.status === 'sent' || send?.status === 'duplicate' ? 1 : 0);
  const next: JourneyProgress = { ...progress, sends };
  if (converted) {
    return { ...rest, journey: { ...next, step: view('converted', progress.step.index, 'goal') } };
  }
  return { ...rest, journey: { ...next, ...prepare(ctx, next, progress.step.index + 1) } };
}

/** A wait-until check: the event happened, the timeout passed (both move on), or wait another interval. */
export async function poll(ctx: JourneyContext, state: JourneyState): Promise<JourneyState> {
  const progress = progressOf(state);
  const step = ctx.campaign.steps[progress.step.index];
  if (!step || !('waitUntil' in step)) throw new JourneyStateError(`step ${progress.step.index} of ${ctx.campaign.id} is not a wait-until step`);
  const now = clockOf(ctx, progress);
  const events = await eventsSince(ctx, state.customerId, progress.enteredAt, now);
  if (seen(events, ctx.campaign.goal.event)) {
    return { ...state, journey: { ...progress, step: view('converted', progress.step.index, 'goal') } };
  }
  const since = progress.waitSince ?? progress.enteredAt;
  const happened = events.some((e) => e.timestamp >= since && matchesEvent(step.waitUntil.event, e));
  const deadline = Date.parse(progress.waitDeadline ?? now.toISOString());
  if (happened || now.getTime() >= deadline) {
    return { ...state, journey: { ...progress, ...prepare(ctx, progress, progress.step.index + 1) } };
  }
  const nextCheck = new Date(Math.min(deadline, now.getTime() + ctx.pollSeconds * 1000));
  return { ...state, journey: { ...progress, wakeAt: realWakeAt(nextCheck, now, ctx.realNow, progress.scale).toISOString() } };
}

/** Evaluates a branch (an event since entry, or an attribute of the customer) and jumps. */
export async function branch(ctx: JourneyContext, state: JourneyState): Promise<JourneyState> {
  const progress = progressOf(state);
  const step = ctx.campaign.steps[progress.step.index];
  if (!step || !('branch' in step)) throw new JourneyStateError(`step ${progress.step.index} of ${ctx.campaign.id} is not a branch`);
  const now = clockOf(ctx, progress);
  const condition = step.branch.if;
  let holds: boolean;
  if (condition.event) {
    holds = seen(await eventsSince(ctx, state.customerId, progress.enteredAt, now), condition.event);
  } else {
    const facts = await customerFacts(ctx.table, state.customerId, now);
    holds = condition.attribute ? matchesAttribute(condition.attribute, attributeSubject(facts)) : false;
  }
  const target = holds ? step.branch.then : step.branch.else;
  const index = target === undefined ? ctx.campaign.steps.length : ctx.campaign.steps.findIndex((s) => s.id === target);
  if (index < 0) throw new JourneyStateError(`branch target ${target} is not a step of ${ctx.campaign.id}`);
  return { ...state, journey: { ...progress, ...prepare(ctx, progress, index) } };
}

/** Records how the journey ended on its entry. */
export async function finish(ctx: JourneyContext, state: JourneyState, outcome: Outcome): Promise<JourneyState> {
  const progress = progressOf(state);
  const reason =
    outcome === 'exited'
      ? (progress.step.type === 'send' ? state.eligibility?.reason : progress.step.reason) ?? 'exit'
      : outcome === 'converted'
        ? 'goal'
        : undefined;
  if (progress.entered !== false) {
    const sends = progress.sends;
    await closeEntry(
      ctx.table,
      state,
      { status: outcome, at: clockOf(ctx, progress).toISOString(), ...(reason ? { reason } : {}), sends },
    );
  }
  return { ...state, outcome, ...(reason ? { journey: { ...progress, step: { ...progress.step, reason } } } : {}) };
}

/** Bounded, with no message text from third parties: the error name and the first line of its cause. */
export function describeError(error: JourneyState['error']): string {
  const name = error?.Error ?? 'Unknown';
  let cause = error?.Cause ?? '';
  try {
    // Lambda errors arrive as a JSON cause: {"errorType","errorMessage","trace"}.
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  return `${name}: ${cause.split('\n')[0]!.slice(0, 300)}`;
}

/** RecordFailure: the failure goes on the entry (status failed) before the execution fails. */
export async function recordFailure(table: string, state: JourneyState, realNow: Date): Promise<JourneyState> {
  const progress = state.journey;
  // Without a journey the Run that failed was the first (its input had none): the entry, if it was
  // made, is closed by its key (a no-op when there is none or it is closed already).
  if (progress?.entered !== false) {
    await closeEntry(table, state, {
      status: 'failed',
      at: realNow.toISOString(),
      error: describeError(state.error),
      reason: progress?.step.id ?? 'entry',
      sends: progress?.sends ?? 0,
    });
  }
  return { ...state, outcome: 'failed' };
}
