import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignDefinition } from '../functions/campaigns/definition/schema.js';
import { validateCampaignFile, validateCampaigns } from '../functions/campaigns/definition/load.js';
import type { CampaignIssue } from '../functions/campaigns/errors.js';
import { NotFoundError } from './errors.js';

/**
 * The campaign files as people look at them: the list (`winback campaigns list --json` and the
 * console's campaigns page), and one campaign's definition with the YAML text as the marketer
 * wrote it. Invalid files are listed too, with their problems.
 */
export interface CampaignListItem {
  readonly file: string;
  readonly valid: boolean;
  readonly campaign: CampaignDefinition | null;
}

export async function campaignList(dir: string): Promise<CampaignListItem[]> {
  const results = await validateCampaigns(dir);
  return results.map((r) => ({ file: r.file, valid: r.errors.length === 0, campaign: r.campaign ?? null }));
}

export interface CampaignSource {
  readonly id: string;
  readonly file: string;
  readonly yaml: string;
  readonly campaign: CampaignDefinition | null;
  readonly errors: readonly CampaignIssue[];
}

const CAMPAIGN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The campaign file `<dir>/<id>.yaml` (or .yml) as written, validated; invalid files are shown with their errors. */
export async function campaignSource(dir: string, id: string): Promise<CampaignSource> {
  if (!CAMPAIGN_ID.test(id)) throw new NotFoundError(`"${id}" is not a campaign id`);
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(dir, `${id}${ext}`);
    let yaml: string;
    try {
      yaml = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const result = await validateCampaignFile(file);
    return { id, file, yaml, campaign: result.campaign ?? null, errors: result.errors };
  }
  throw new NotFoundError(`no campaign "${id}" in ${dir}`);
}

/** The campaigns directory: the one given, else CAMPAIGNS_DIR, else ./campaigns; absolute. */
export function campaignsDirFrom(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(dir ?? env['CAMPAIGNS_DIR'] ?? 'campaigns');
}
