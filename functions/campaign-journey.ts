import { capsFromConfig } from './campaigns/eligibility.js';
import { loadSecrets } from './campaigns/secrets.js';
import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { JourneyStateError } from './journeys/errors.js';
import { advance, branch, finish, load, poll, recordFailure, type JourneyContext } from './journeys/interpreter.js';
import { JourneyTaskEvent, type JourneyState } from './journeys/journey-state.js';
import { run } from './journeys/run.js';
import { checkAndSend } from './journeys/send-now.js';

/**
 * The journey state machines' task (functions/journeys/state-machine.ts): `run` walks the
 * campaign's steps until the journey waits or ends (entry, send-time checks, render, send exactly
 * once, advance, branch); `recordFailure` records a failure on the entry. The single-step actions
 * (load, advance, branch, poll, finish) stay for callers that drive a journey step by step.
 * State in, state out: the ASL passes `{ action, state: $ }` and keeps the answer as the new state
 * ($.Payload). Errors are thrown with their names (RetryableError is retried by the state machine;
 * the rest reach the Catch and RecordFailure).
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
    case 'run': {
      // Unsubscribe links and coupon codes are signed with the key from Secrets Manager (in AWS); read once per container.
      await loadSecrets();
      const settings = {
        table: config.TABLE_NAME,
        publicBaseUrl: config.PUBLIC_BASE_URL,
        unsubscribeTokenDays: config.UNSUBSCRIBE_TOKEN_DAYS,
        caps: capsFromConfig(config),
      };
      const next = await run({ ...ctx, sendStep: (s) => checkAndSend(settings, ctx.campaign, s, realNow) }, state);
      if (next.send?.status === 'failed' || next.send?.status === 'pending') {
        logger.warn('campaign email not sent', { campaignId: ctx.campaign.id, stepId: next.send.stepId, status: next.send.status, reason: next.send.reason });
      }
      // The Next? choice routes on these two; anything else would loop Run forever.
      if (!next.outcome && next.journey?.wakeAt === undefined) throw new JourneyStateError('run returned neither an outcome nor a wake-up time');
      return next;
    }
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
