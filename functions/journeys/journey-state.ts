import { z } from 'zod';
import { SendReasons } from '../campaigns/reasons.js';

/**
 * The JSON a journey execution carries from state to state. Small on purpose (Step Functions
 * passes at most 256 KB between states, and every byte is in the execution history): ids, the
 * cursor, the sticky assignment and the last decision. No email address, no name.
 * Each shape is a zod schema: the campaign Lambdas parse what Step Functions hands them.
 */
export const TriggerType = z.enum(['score', 'event', 'first-order', 'tier-upgrade', 'schedule', 'manual']);
export type TriggerType = z.infer<typeof TriggerType>;

export const JourneyTrigger = z.object({
  type: TriggerType,
  /** When the trigger fired (ISO). */
  at: z.string().min(1),
  /** Trigger facts worth keeping (churn probability, event id, tier). Never personal data. */
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type JourneyTrigger = z.infer<typeof JourneyTrigger>;

/** What a trigger or the fan-out starts an execution with. */
export const JourneyInput = z.object({
  campaignId: z.string().min(1),
  customerId: z.string().min(1),
  /** The trigger instance: a crossing's scoredAt, an event id, a schedule tick, a run id. */
  triggerId: z.string().min(1),
  trigger: JourneyTrigger,
  /** A targeted campaign's reason codes for this customer (fan-out), kept on each ledger entry. */
  reasons: SendReasons.optional(),
});
export type JourneyInput = z.infer<typeof JourneyInput>;

export const StepType = z.enum(['send', 'wait', 'waitUntil', 'branch', 'exit', 'converted', 'end']);
export type StepType = z.infer<typeof StepType>;
export const Outcome = z.enum(['completed', 'exited', 'converted', 'failed']);
export type Outcome = z.infer<typeof Outcome>;

export const StepView = z.object({
  /** What the Step choice dispatches on. */
  type: StepType,
  /** Index into the campaign's steps (-1 for the synthetic exit/converted/end steps). */
  index: z.number().int(),
  id: z.string(),
  /** Why an `exit` step was reached (e.g. 'reentry', 'campaign-inactive', 'unsubscribed'). */
  reason: z.string().optional(),
});
export type StepView = z.infer<typeof StepView>;

export const JourneyProgress = z.object({
  /** Real time LoadCampaign ran: the origin of the journey clock. */
  startedAt: z.string(),
  /** Journey time of entry (= startedAt): the start of the attribution window. */
  enteredAt: z.string(),
  group: z.enum(['holdout', 'treatment']),
  variant: z.string(),
  step: StepView,
  /** Real ISO instant of the next Wait / WaitUntil wake-up. */
  wakeAt: z.string().optional(),
  /** Journey ISO time a wait-until step gives up at. */
  waitDeadline: z.string().optional(),
  /** Journey ISO time the current wait-until step started watching from. */
  waitSince: z.string().optional(),
  sends: z.number().int().nonnegative(),
  scale: z.number().positive(),
  /** Steps taken so far (guards against a branch cycle without waits). */
  hops: z.number().int().nonnegative().optional(),
  /** false: the customer was not entered (inactive campaign, re-entry rule, duplicate); nothing is recorded. */
  entered: z.boolean().optional(),
  /**
   * The journey's execution name (execution-name.ts), set on entry: the name a journey handed from
   * the Express machine to the Standard one (to wait) runs under there.
   */
  name: z.string().optional(),
});
export type JourneyProgress = z.infer<typeof JourneyProgress>;

export const EligibilityResult = z.object({
  decision: z.enum(['eligible', 'delay', 'ineligible']),
  reason: z.string().optional(),
  /** Real ISO instant to check again (quiet hours). */
  wakeAt: z.string().optional(),
  retryAt: z.string().optional(),
});
export type EligibilityResult = z.infer<typeof EligibilityResult>;

export const SendResult = z.object({
  status: z.enum(['sent', 'duplicate', 'holdout', 'failed', 'pending', 'skipped']),
  messageId: z.string().optional(),
  stepId: z.string(),
  reason: z.string().optional(),
});
export type SendResult = z.infer<typeof SendResult>;

export const JourneyState = JourneyInput.extend({
  journey: JourneyProgress.optional(),
  eligibility: EligibilityResult.optional(),
  send: SendResult.optional(),
  /** Set by a Catch (`ResultPath: $.error`). */
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  outcome: Outcome.optional(),
});
export type JourneyState = z.infer<typeof JourneyState>;

/** The eligibility and send Lambdas' event: `{ state }`. */
export const JourneyStepEvent = z.object({ state: JourneyState });
export type JourneyStepEvent = z.infer<typeof JourneyStepEvent>;

/** The journey Lambda's event: an action and the state (ASL Parameters `{ action, state.$: $ }`). */
export const JourneyTaskEvent = z.object({
  action: z.enum(['run', 'load', 'advance', 'branch', 'poll', 'finish', 'recordFailure']),
  state: JourneyState,
  outcome: Outcome.optional(),
});
export type JourneyTaskEvent = z.infer<typeof JourneyTaskEvent>;

/* ---- fan-out ---- */

export const FanoutInput = z.object({
  campaignId: z.string().min(1),
  /** A schedule tick (ISO) or a manual run id. */
  runId: z.string().min(1),
});
export type FanoutInput = z.infer<typeof FanoutInput>;

/** Where a fan-out iteration reads members from. */
export const AudienceSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tier'), tier: z.string(), minBand: z.string(), maxBand: z.string() }),
  z.object({ kind: z.literal('shard'), shard: z.number().int().nonnegative() }),
]);
export type AudienceSource = z.infer<typeof AudienceSource>;

export const FanoutShardState = FanoutInput.extend({
  source: AudienceSource,
  cursor: z.string().optional(),
  started: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  excluded: z.number().int().nonnegative(),
  /** Customers excluded by the audience filter or the per-run send limit, by reason. */
  excludedBy: z.record(z.string(), z.number()).optional(),
});
export type FanoutShardState = z.infer<typeof FanoutShardState>;

/** The fan-out machine's task events, one shape per action (the ASL passes `{ action, state.$: $ }`). */
export const FanoutTaskEvent = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), state: FanoutInput }),
  z.object({ action: z.literal('page'), state: FanoutShardState }),
  z.object({ action: z.literal('summarize'), state: FanoutInput.extend({ shardResults: z.array(FanoutShardState).optional() }) }),
  z.object({
    action: z.literal('recordFailure'),
    state: z.looseObject({ campaignId: z.string().optional(), runId: z.string().optional(), error: z.object({ Error: z.string().optional() }).loose().optional() }),
  }),
]);
export type FanoutTaskEvent = z.infer<typeof FanoutTaskEvent>;
