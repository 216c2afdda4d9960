import type { Context } from 'aws-lambda';
import { getConfig } from './commons/config.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { plan, recordRunFailure, startPage, summarize } from './journeys/fanout.js';
import type { FanoutShardState, FanoutTaskEvent } from './journeys/journey-state.js';
import { journeyStarter } from './journeys/starter.js';

/** The fan-out state machine's tasks: Plan, StartJourneys (one page of one audience source), Summarize, RecordFanoutFailure. */
export const handler = async (event: FanoutTaskEvent, context?: Context): Promise<unknown> => {
  if (context) logger.addContext(context);
  const config = getConfig();
  const state = event.state as { campaignId: string; runId: string };
  const now = new Date();
  switch (event.action) {
    case 'plan':
      return plan(await campaignById(config.CAMPAIGNS_DIR, state.campaignId), state);
    case 'page':
      return startPage(
        {
          table: config.TABLE_NAME,
          campaign: await campaignById(config.CAMPAIGNS_DIR, state.campaignId),
          starter: journeyStarter({ ...(config.JOURNEY_STATE_MACHINE_ARN ? { journey: config.JOURNEY_STATE_MACHINE_ARN } : {}) }),
          now,
        },
        event.state as unknown as FanoutShardState,
      );
    case 'summarize': {
      const summary = await summarize(config.TABLE_NAME, event.state as never, now);
      logger.info('fan-out run finished', { campaignId: summary.campaignId, started: summary.started, duplicates: summary.duplicates, excluded: summary.excluded });
      return summary;
    }
    case 'recordFailure':
      logger.error('fan-out run failed', { campaignId: state.campaignId, error: (event.state['error'] as { Error?: string } | undefined)?.Error });
      await recordRunFailure(config.TABLE_NAME, event.state as never, now);
      return event.state;
  }
};
