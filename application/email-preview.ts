import path from 'node:path';
import { assignGroup } from '../functions/campaigns/assignment.js';
import { resolveSend } from '../functions/campaigns/definition/schema.js';
import { loadCampaign } from '../functions/campaigns/definition/load.js';
import { recommendedProducts } from '../functions/campaigns/recommendations.js';
import { renderMessage } from '../functions/campaigns/render.js';
import { pointsBalance } from '../functions/store/rewards.js';
import { unsubscribeLinks } from '../functions/campaigns/tokens.js';
import { getConfig } from '../functions/commons/config.js';
import { listAllCustomers } from '../functions/jobs/customer-events.js';
import { listEntries } from '../functions/store/journey-entries.js';
import { queryCustomerEvents } from '../functions/store/events.js';
import { getProfile } from '../functions/store/profiles.js';
import { getScore } from '../functions/store/scores.js';
import { ValidationError } from '../kernel/errors.js';
import { NotFoundError } from './errors.js';

/**
 * An email exactly as a campaign would send it to one customer, rendered without sending:
 * `winback campaigns preview` writes it to a file and the console shows it. Nothing is sent, no
 * coupon is issued (the code shown is a sample), no points are credited.
 */
export interface EmailPreview {
  readonly campaignId: string;
  readonly customerId: string;
  /** true when the console chose the customer (the first treatment entrant, else the first customer). */
  readonly sampleCustomer: boolean;
  readonly stepId: string;
  readonly variant: string;
  readonly group: 'treatment' | 'holdout';
  readonly template: string;
  readonly subject: string;
  readonly preheader: string;
  readonly html: string;
  readonly text: string;
  /** List-Unsubscribe and List-Unsubscribe-Post, as the message would carry them. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface PreviewInput {
  readonly table: string;
  readonly campaignsDir: string;
  readonly campaignId: string;
  readonly customerId?: string;
  readonly stepId?: string;
  readonly now: Date;
}

const SAMPLE_CANDIDATES = 20;

/** A customer to preview with: the campaign's first treatment entrant with a profile, else the first customer with one. */
async function sampleCustomer(table: string, campaignId: string): Promise<string> {
  const entries = (await listEntries(table, campaignId))
    .filter((e) => e.group === 'treatment')
    .map((e) => e.customerId)
    .sort();
  const candidates = [...new Set(entries)].slice(0, SAMPLE_CANDIDATES);
  if (candidates.length === 0) candidates.push(...(await listAllCustomers(table)).slice(0, SAMPLE_CANDIDATES));
  for (const id of candidates) if (await getProfile(table, id)) return id;
  throw new NotFoundError('no customer with a profile to preview the email for: load some data first');
}

/** What `winback campaigns preview` writes and the console shows: nothing is sent, issued or credited. */
export async function renderPreview(input: PreviewInput): Promise<EmailPreview> {
  const { table, now } = input;
  const campaign = await loadCampaign(input.campaignsDir, input.campaignId);
  const customerId = input.customerId ?? (await sampleCustomer(table, campaign.id));
  const config = getConfig();
  const [profile, score, events, balance] = await Promise.all([
    getProfile(table, customerId),
    getScore(table, customerId),
    queryCustomerEvents(table, customerId),
    pointsBalance(table, customerId),
  ]);
  if (!profile) throw new NotFoundError(`no customer ${customerId}`);
  const { group, variant } = assignGroup(campaign.id, customerId, campaign.holdout, campaign.variants);
  const steps = campaign.steps.filter((s): s is Extract<typeof s, { send: unknown }> => 'send' in s);
  const step = input.stepId !== undefined ? steps.find((s) => s.id === input.stepId) : steps.find((s) => resolveSend(campaign, s, variant));
  if (!step) throw new ValidationError(`no send step ${input.stepId ?? ''} for variant ${variant} (send steps: ${steps.map((s) => s.id).join(', ')})`, 'step');
  // A step meant for another variant is previewed as that variant would see it.
  const resolved = resolveSend(campaign, step, variant) ?? resolveSend(campaign, step, step.send.variant ?? variant)!;
  const coupon = campaign.rewards?.coupon;
  const links = unsubscribeLinks(
    { customerId, email: profile.email ?? 'preview@example.com', topic: campaign.topic, campaignId: campaign.id },
    { baseUrl: config.PUBLIC_BASE_URL, now, ttlDays: config.UNSUBSCRIBE_TOKEN_DAYS },
  );
  const message = await renderMessage({
    template: resolved.template,
    templatesDir: path.join(input.campaignsDir, 'templates'),
    customer: { customerId, traits: profile.traits, ...(score ? { tier: score.tier, stage: score.stage } : {}) },
    campaign: { id: campaign.id, name: campaign.name },
    variant,
    ...(coupon
      ? {
          coupon: {
            code: `${coupon.prefix}-PREVIEW`,
            campaignId: campaign.id,
            customerId,
            entryId: 'preview',
            ...(coupon.percentOff !== undefined ? { percentOff: coupon.percentOff } : {}),
            ...(coupon.amountOff !== undefined ? { amountOff: coupon.amountOff } : {}),
            ...(coupon.currency !== undefined ? { currency: coupon.currency } : {}),
            issuedAt: now.toISOString(),
            validUntil: new Date(now.getTime() + coupon.expiresInDays * 86_400_000).toISOString(),
          },
        }
      : {}),
    ...(campaign.rewards?.points ? { points: { balance: balance + campaign.rewards.points.amount, awarded: campaign.rewards.points.amount } } : {}),
    recommendations: recommendedProducts(events, 3),
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
    ...(resolved.subject ? { subject: resolved.subject } : {}),
    ...(resolved.preheader ? { preheader: resolved.preheader } : {}),
  });
  return {
    campaignId: campaign.id,
    customerId,
    sampleCustomer: input.customerId === undefined,
    stepId: step.id,
    variant,
    group,
    template: resolved.template,
    subject: message.subject,
    preheader: message.preheader,
    html: message.html,
    text: message.text,
    headers: message.headers,
  };
}
