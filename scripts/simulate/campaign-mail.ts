import { messageTags } from '../../functions/campaigns/send.js';
import { SHOP_URL } from './catalogue.js';
import type { SesRecord } from './types.js';

/**
 * Open and Click records for a message winback sent, in the SES event publishing format the
 * newsletter simulation uses (email.ts), carrying the same `mail` object SES attaches to every
 * event of a message: the one the local publisher gave its Send and Delivery records
 * (functions/campaigns/ses-events.ts), with the message tags the send set (campaign, variant,
 * step, customer), so the email-event processor files them under the campaign and customer.
 */
const ACCOUNT = '000000000000';
const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
];

export interface CampaignMessage {
  readonly messageId: string;
  readonly campaignId: string;
  readonly variant: string;
  readonly stepId: string;
  readonly customerId: string;
  /** The recipient: SES names it in every record (and the event id hashes it). */
  readonly to: string;
  readonly from: string;
  readonly configurationSet: string;
  readonly sentAtMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function mailObject(m: CampaignMessage): Record<string, unknown> {
  const fromDomain = m.from.slice(m.from.lastIndexOf('@') + 1).replace(/>$/, '');
  const tags: Record<string, string[]> = {
    'ses:configuration-set': [m.configurationSet],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['winback-local'],
    // Opens and clicks follow the delivery, whose records carry the outgoing IP as well.
    'ses:outgoing-ip': ['127.0.0.1'],
  };
  // The very tags sendCampaignEmail gave SES (a customer id that is not tag-safe is left out, as there).
  for (const [name, value] of Object.entries(messageTags({ campaign: { id: m.campaignId }, variant: m.variant, stepId: m.stepId, customerId: m.customerId }))) {
    tags[name] = [value];
  }
  return {
    timestamp: iso(m.sentAtMs),
    source: m.from,
    sourceArn: `arn:aws:ses:us-east-1:${ACCOUNT}:identity/${fromDomain}`,
    sendingAccountId: ACCOUNT,
    messageId: m.messageId,
    destination: [m.to],
    headersTruncated: false,
    // The ledger keeps the template, not the rendered subject, so no Subject header is claimed.
    headers: [
      { name: 'From', value: m.from },
      { name: 'To', value: m.to },
      { name: 'MIME-Version', value: '1.0' },
      { name: 'Content-Type', value: 'multipart/alternative; boundary="----=_Part_winback_local"' },
    ],
    commonHeaders: { from: [m.from], to: [m.to], messageId: m.messageId },
    tags,
  };
}

/** The user agent of a recipient: one per customer, so their open and click come from the same client. */
function userAgentOf(customerId: string): string {
  let h = 0;
  for (let i = 0; i < customerId.length; i++) h = (h * 31 + customerId.charCodeAt(i)) >>> 0;
  return USER_AGENTS[h % USER_AGENTS.length]!;
}

export function openRecord(m: CampaignMessage, atMs: number): SesRecord {
  return { eventType: 'Open', mail: mailObject(m), open: { ipAddress: '192.0.2.1', timestamp: iso(atMs), userAgent: userAgentOf(m.customerId) } };
}

export function clickRecord(m: CampaignMessage, atMs: number): SesRecord {
  const link = `${SHOP_URL}/?utm_source=winback&utm_medium=email&utm_campaign=${encodeURIComponent(m.campaignId)}`;
  return {
    eventType: 'Click',
    mail: mailObject(m),
    click: { ipAddress: '192.0.2.1', link, linkTags: { campaign: [m.campaignId] }, timestamp: iso(atMs), userAgent: userAgentOf(m.customerId) },
  };
}
