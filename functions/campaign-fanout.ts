import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { campaignById } from './journeys/campaign-source.js';
import { plan, recordRunFailure, startPage, summarize } from './journeys/fanout.js';
import { FanoutTaskEvent } from './journeys/journey-state.js';
import { journeyStarter } from './journeys/starter.js';

/** The fan-out state machine's tasks: Plan, StartJourneys (one page of one audience source), Summarize, RecordFanoutFailure. */
export const handler = taskHandler(FanoutTaskEvent, async (event): Promise<unknown> => {
  const config = getConfig();
  const now = new Date();
  switch (event.action) {
    case 'plan':
      return plan(await campaignById(config.CAMPAIGNS_DIR, event.state.campaignId), event.state);
    case 'page':
      return startPage(
        {
          table: config.TABLE_NAME,
          campaign: await campaignById(config.CAMPAIGNS_DIR, event.state.campaignId),
          starter: journeyStarter({ ...(config.JOURNEY_STATE_MACHINE_ARN ? { journey: config.JOURNEY_STATE_MACHINE_ARN } : {}) }),
          now,
          targeting: { campaignsDir: config.CAMPAIGNS_DIR, registryUri: config.MODEL_REGISTRY_URI },
        },
        event.state,
      );
    case 'summarize': {
      const summary = await summarize(config.TABLE_NAME, event.state, now);
      logger.info('fan-out run finished', { campaignId: summary.campaignId, started: summary.started, duplicates: summary.duplicates, excluded: summary.excluded });
      return summary;
    }
    case 'recordFailure':
      logger.error('fan-out run failed', { campaignId: event.state.campaignId, error: event.state.error?.Error });
      await recordRunFailure(config.TABLE_NAME, event.state, now);
      return event.state;
  }
});
