/**
 * The JSON a journey execution carries from state to state. Small on purpose (Step Functions
 * passes at most 256 KB between states, and every byte is in the execution history): ids, the
 * cursor, the sticky assignment and the last decision. No email address, no name.
 */
export type TriggerType = 'score' | 'event' | 'first-order' | 'tier-upgrade' | 'schedule' | 'manual';

export interface JourneyTrigger {
  readonly type: TriggerType;
  /** When the trigger fired (ISO). */
  readonly at: string;
  /** Trigger facts worth keeping (churn probability, event id, tier). Never personal data. */
  readonly detail?: Record<string, string | number | boolean>;
}

/** What a trigger or the fan-out starts an execution with. */
export interface JourneyInput {
  readonly campaignId: string;
  readonly customerId: string;
  /** The trigger instance: a crossing's scoredAt, an event id, a schedule tick, a run id. */
  readonly triggerId: string;
  readonly trigger: JourneyTrigger;
}

export type StepType = 'send' | 'wait' | 'waitUntil' | 'branch' | 'exit' | 'converted' | 'end';
export type Outcome = 'completed' | 'exited' | 'converted' | 'failed';

export interface StepView {
  /** What the Step choice dispatches on. */
  readonly type: StepType;
  /** Index into the campaign's steps (-1 for the synthetic exit/converted/end steps). */
  readonly index: number;
  readonly id: string;
  /** Why an `exit` step was reached (e.g. 'reentry', 'campaign-inactive', 'unsubscribed'). */
  readonly reason?: string;
}

export interface JourneyProgress {
  /** Real time LoadCampaign ran: the origin of the journey clock. */
  readonly startedAt: string;
  /** Journey time of entry (= startedAt): the start of the attribution window. */
  readonly enteredAt: string;
  readonly group: 'holdout' | 'treatment';
  readonly variant: string;
  readonly step: StepView;
  /** Real ISO instant of the next Wait / WaitUntil wake-up. */
  readonly wakeAt?: string;
  /** Journey ISO time a wait-until step gives up at. */
  readonly waitDeadline?: string;
  /** Journey ISO time the current wait-until step started watching from. */
  readonly waitSince?: string;
  readonly sends: number;
  readonly scale: number;
  /** Steps taken so far (guards against a branch cycle without waits). */
  readonly hops?: number;
  /** false: the customer was not entered (inactive campaign, re-entry rule, duplicate); nothing is recorded. */
  readonly entered?: boolean;
}

export interface EligibilityResult {
  readonly decision: 'eligible' | 'delay' | 'ineligible';
  readonly reason?: string;
  /** Real ISO instant to check again (quiet hours). */
  readonly wakeAt?: string;
  readonly retryAt?: string;
}

export interface SendResult {
  readonly status: 'sent' | 'duplicate' | 'holdout' | 'failed' | 'pending' | 'skipped';
  readonly messageId?: string;
  readonly stepId: string;
  readonly reason?: string;
}

export interface JourneyState extends JourneyInput {
  readonly journey?: JourneyProgress;
  readonly eligibility?: EligibilityResult;
  readonly send?: SendResult;
  /** Set by a Catch (`ResultPath: $.error`). */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly outcome?: Outcome;
}

/** The journey Lambda's event: an action and the state (ASL Parameters `{ action, state.$: $ }`). */
export interface JourneyTaskEvent {
  readonly action: 'load' | 'advance' | 'branch' | 'poll' | 'finish' | 'recordFailure';
  readonly state: JourneyState;
  readonly outcome?: Outcome;
}

/* ---- fan-out ---- */

export interface FanoutInput {
  readonly campaignId: string;
  /** A schedule tick (ISO) or a manual run id. */
  readonly runId: string;
}

/** Where a fan-out iteration reads members from. */
export type AudienceSource =
  | { readonly kind: 'tier'; readonly tier: string; readonly minBand: string; readonly maxBand: string }
  | { readonly kind: 'shard'; readonly shard: number };

export interface FanoutShardState {
  readonly campaignId: string;
  readonly runId: string;
  readonly source: AudienceSource;
  readonly cursor?: string;
  readonly started: number;
  readonly duplicates: number;
  readonly excluded: number;
  /** Customers excluded by the audience filter or the per-run send limit, by reason. */
  readonly excludedBy?: Record<string, number>;
}

export interface FanoutTaskEvent {
  readonly action: 'plan' | 'page' | 'summarize' | 'recordFailure';
  readonly state: Record<string, unknown>;
}
