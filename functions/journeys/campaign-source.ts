import path from 'node:path';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { loadCampaign } from '../campaigns/definition/load.js';
import { CampaignNotFoundError as DefinitionNotFoundError } from '../campaigns/errors.js';
import { CampaignNotFoundError } from './errors.js';

/**
 * Campaign definitions as the journey functions see them: read from CAMPAIGNS_DIR (shipped with
 * the function bundle in AWS, the repository's campaigns/ locally) and kept for the life of the
 * process; a deployment (or a new CLI process) brings new definitions.
 */
const cache = new Map<string, Promise<CampaignDefinition>>();

export function campaignById(dir: string, campaignId: string): Promise<CampaignDefinition> {
  const key = `${path.resolve(dir)}\u0000${campaignId}`;
  let loading = cache.get(key);
  if (!loading) {
    loading = loadCampaign(dir, campaignId).catch((error: unknown) => {
      cache.delete(key);
      if (error instanceof DefinitionNotFoundError) throw new CampaignNotFoundError(campaignId);
      throw error;
    });
    cache.set(key, loading);
  }
  return loading;
}

export function clearCampaignCache(): void {
  cache.clear();
}
