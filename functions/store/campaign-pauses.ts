import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { campaignPk } from './keys.js';

/**
 * A campaign paused from the console (`CAMPAIGN#<id>` / `PAUSE`). Campaign files are shipped with
 * the functions, so in AWS nobody can edit a file's `status`; this item is the operator's switch
 * on top of it. One item per campaign, overwritten: pausing twice is the same state (idempotent),
 * and the last change wins. `changedBy` is the Cognito subject (a pseudonymous id) or 'local'.
 */
const PAUSE_SK = 'PAUSE';

export interface CampaignPause {
  readonly campaignId: string;
  readonly paused: boolean;
  readonly changedAt: string;
  readonly changedBy: string;
}

export async function setCampaignPause(table: string, pause: CampaignPause): Promise<CampaignPause> {
  await dynamoClient().send(new PutCommand({ TableName: table, Item: { pk: campaignPk(pause.campaignId), sk: PAUSE_SK, ...pause } }));
  return pause;
}

/** The console's switch for a campaign, or undefined when nobody has used it. */
export async function getCampaignPause(table: string, campaignId: string): Promise<CampaignPause | undefined> {
  const { Item } = await dynamoClient().send(new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: PAUSE_SK }, ConsistentRead: true }));
  if (!Item) return undefined;
  return { campaignId, paused: Item['paused'] === true, changedAt: String(Item['changedAt']), changedBy: String(Item['changedBy']) };
}
