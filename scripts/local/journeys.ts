import path from 'node:path';
import { resetConfig } from '../../functions/commons/config.js';
import { logger } from '../../functions/commons/logger.js';
import { localRegistryUri } from '../../models/registry/open-store.js';
import { clearCampaignCache } from '../../functions/journeys/campaign-source.js';
import type { CampaignStack } from '../../application/campaign-run.js';
import type { StackHandle } from './stack.js';
import { LocalStepFunctions } from './stepfunctions.js';

/** Default journey clock for CLI runs: a 3-day wait takes 2.6 s. */
export const CLI_TIME_SCALE = 1e-5;

/**
 * Points this process's campaign configuration at a local stack (public URL for unsubscribe links,
 * the SES event publisher) without overriding what the environment already sets, and resolves
 * the campaigns directory to an absolute path. The unsubscribe secret comes with the stack's
 * environment (config.json of the data dir), so links in the local inbox verify across runs.
 */
export async function applyCampaignEnvironment(stack: StackHandle, campaignsDir: string): Promise<void> {
  const setDefault = (name: string, value: string): void => {
    if (!process.env[name]) process.env[name] = value;
  };
  setDefault('PUBLIC_BASE_URL', stack.apiUrl);
  setDefault('LOCAL_SES_EVENTS_URL', `${stack.apiUrl}/v1/email-events`);
  setDefault('LOCAL_SES_EVENTS_WRITE_KEY', stack.writeKey);
  // Targeted campaigns score uplift with the data dir's registry (the one `winback train` and `uplift evaluate --register` write).
  setDefault('MODEL_REGISTRY_URI', localRegistryUri(stack.dataDir));
  process.env['CAMPAIGNS_DIR'] = path.resolve(campaignsDir);
  // The handlers' per-journey INFO lines would bury the command's own output; warnings still show.
  if (!process.env['POWERTOOLS_LOG_LEVEL'] && !process.env['AWS_LAMBDA_LOG_LEVEL']) logger.setLogLevel('WARN');
  resetConfig();
  clearCampaignCache();
}

export async function localJourneyRunner(stack: StackHandle, opts: { timeScale?: number; concurrency?: number } = {}): Promise<LocalStepFunctions> {
  return LocalStepFunctions.create({
    table: stack.tableName,
    timeScale: opts.timeScale ?? CLI_TIME_SCALE,
    concurrency: opts.concurrency ?? 32,
  });
}

/** The local stack as the campaign use cases see it (application/campaign-run.ts). */
export function campaignStack(stack: StackHandle): CampaignStack {
  return {
    tableName: stack.tableName,
    useCampaigns: (campaignsDir) => applyCampaignEnvironment(stack, campaignsDir),
    journeyRunner: (opts) => localJourneyRunner(stack, opts),
    drain: (opts) => stack.drain(opts),
  };
}
