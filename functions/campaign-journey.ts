import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { advance, branch, finish, load, poll, recordFailure, type JourneyContext } from './journeys/interpreter.js';
import { JourneyTaskEvent, type JourneyState } from './journeys/journey-state.js';

/**
 * The journey state machine's own steps (LoadCampaign, Advance, CheckWaitUntil, Branch,
 * Exit/Converted/Completed, RecordFailure), chosen by `action`. State in, state out: the ASL
 * passes `{ action, state: $ }` and keeps the answer as the new state ($.Payload).
 * Errors are thrown with their names (RetryableError is retried by the state machine; the rest
 * reach the Catch and RecordFailure).
 */
export const handler = taskHandler(JourneyTaskEvent, async (event): Promise<JourneyState> => {
  const config = getConfig();
  const realNow = new Date();
  const { state } = event;
  if (event.action === 'recordFailure') {
    logger.warn('journey failed', { campaignId: state.campaignId, error: state.error?.Error, step: state.journey?.step.id });
    return recordFailure(config.TABLE_NAME, state, realNow);
  }
  const ctx: JourneyContext = {
    table: config.TABLE_NAME,
    campaign: await campaignById(config.CAMPAIGNS_DIR, state.campaignId),
    realNow,
    scale: state.journey?.scale ?? config.JOURNEY_TIME_SCALE,
    pollSeconds: config.JOURNEY_POLL_SECONDS,
  };
  switch (event.action) {
    case 'load':
      return load(ctx, state);
    case 'advance':
      return advance(ctx, state);
    case 'poll':
      return poll(ctx, state);
    case 'branch':
      return branch(ctx, state);
    case 'finish':
      return finish(ctx, state, event.outcome ?? 'completed');
  }
});
