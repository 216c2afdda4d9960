import path from 'node:path';
import type { CampaignDefinition } from '../campaigns/definition/schema.js';
import { loadCampaign } from '../campaigns/definition/load.js';
import { CampaignNotFoundError as DefinitionNotFoundError } from '../campaigns/errors.js';
import { CampaignNotFoundError } from './errors.js';
import { getConfig } from '../commons/config.js';
import { getCampaignPause } from '../store/campaign-pauses.js';

/**
 * Campaign definitions as the journey functions see them: read from CAMPAIGNS_DIR (shipped with
 * the function bundle in AWS, the repository's campaigns/ locally) and kept for the life of the
 * process; a deployment (or a new CLI process) brings new definitions.
 */
const cache = new Map<string, Promise<CampaignDefinition>>();

/**
 * The campaign as the journey functions apply it: the file's definition, except that an `active`
 * campaign paused from the console (functions/store/campaign-pauses.ts) is `paused`, so no new
 * journey starts (the interpreter's entry check and the fan-out plan read `status`); journeys
 * already under way go on. The switch is read at most every PAUSE_TTL_MS per container, so a
 * pause applies within that time without a read per journey step.
 */
export async function campaignById(dir: string, campaignId: string): Promise<CampaignDefinition> {
  const definition = await definitionById(dir, campaignId);
  if (definition.status !== 'active') return definition;
  return (await pausedFromConsole(campaignId)) ? { ...definition, status: 'paused' } : definition;
}

export const PAUSE_TTL_MS = 30_000;
const pauses = new Map<string, { readonly paused: boolean; readonly readAt: number }>();

async function pausedFromConsole(campaignId: string): Promise<boolean> {
  const known = pauses.get(campaignId);
  if (known && Date.now() - known.readAt < PAUSE_TTL_MS) return known.paused;
  const paused = (await getCampaignPause(getConfig().TABLE_NAME, campaignId))?.paused ?? false;
  pauses.set(campaignId, { paused, readAt: Date.now() });
  return paused;
}

function definitionById(dir: string, campaignId: string): Promise<CampaignDefinition> {
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
  pauses.clear();
}
