import { WinbackError, RetryableError } from '../../kernel/errors.js';

/** A journey names a campaign that is not (or no longer) defined. Permanent: the journey fails and is recorded. */
export class CampaignNotFoundError extends WinbackError {
  constructor(readonly campaignId: string) {
    super(`campaign ${campaignId} is not defined`);
  }
}

/** The journey's state does not fit its campaign (e.g. a step index past the end after an edit). */
export class JourneyStateError extends WinbackError {}

/** StartExecution failed for a reason a retry may fix (throttling, network). */
export class JourneyStartError extends RetryableError {}

/** No journey starter is configured (neither a state machine ARN nor a local runner). */
export class JourneyStarterMissingError extends WinbackError {}

/** A cron expression of a schedule trigger that winback cannot read. */
export class CronExpressionError extends WinbackError {}
