import path from 'node:path';
import { getConfig } from '../commons/config.js';
import { ValidationError } from '../../kernel/errors.js';
import type { Coupon } from './rewards.js';
import type { Recommendation } from './recommendations.js';
import { compileTemplate, escapeHtml, stripControl } from './template-language.js';
import { loadTemplate, type LoadedTemplate } from './template-files.js';

export { recommendedProducts, productCatalog } from './recommendations.js';

/**
 * Personalised messages: the campaign template (campaigns/templates/<name>.html + .txt) inside a
 * responsive single-column layout (600 px max, inline styles, table-based for Outlook), plus the
 * text part, subject, preheader and the RFC 8058 headers.
 *
 * Safety: every value that comes from the customer (traits, product names) is HTML-escaped by the
 * template engine (there is no unescaped form); subject, preheader and header values lose CR, LF
 * and every other control character, so no trait can inject a header.
 */
export interface RenderCustomer {
  readonly customerId: string;
  /** Profile traits: firstName (or first_name, or name), lastName... */
  readonly traits: Record<string, unknown>;
  /** Value tier from the score item (diamond, gold, silver, bronze). */
  readonly tier?: string;
  readonly stage?: string;
}

export interface RenderInput {
  /** A template name (loaded from `templatesDir`) or an already loaded template. */
  readonly template: string | LoadedTemplate;
  readonly customer: RenderCustomer;
  readonly campaign: { readonly id: string; readonly name: string };
  readonly variant: string;
  readonly coupon?: Coupon;
  readonly points?: { readonly balance: number; readonly awarded?: number };
  readonly recommendations?: readonly Recommendation[];
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
  /** Subject / preheader overrides (from the variant or step; templates themselves). */
  readonly subject?: string;
  readonly preheader?: string;
  /** Default `<CAMPAIGNS_DIR>/templates`. */
  readonly templatesDir?: string;
  /** Shown in the header of the layout. */
  readonly brand?: string;
}

export interface RenderedMessage {
  readonly subject: string;
  readonly preheader: string;
  readonly html: string;
  readonly text: string;
  /** Extra mail headers: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  readonly headers: Readonly<Record<string, string>>;
}

const MAX_SUBJECT = 200;
const MAX_NAME = 100;

export function defaultTemplatesDir(): string {
  return path.join(getConfig().CAMPAIGNS_DIR, 'templates');
}

function firstNameOf(traits: Record<string, unknown>): string {
  const direct = traits['firstName'] ?? traits['first_name'];
  if (typeof direct === 'string') return direct.trim().slice(0, MAX_NAME);
  const name = traits['name'];
  if (typeof name === 'string') return (name.trim().split(/\s+/)[0] ?? '').slice(0, MAX_NAME);
  return '';
}

function lastNameOf(traits: Record<string, unknown>): string {
  const direct = traits['lastName'] ?? traits['last_name'];
  return typeof direct === 'string' ? direct.trim().slice(0, MAX_NAME) : '';
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function couponView(coupon: Coupon): Record<string, unknown> {
  let discount = '';
  if (coupon.percentOff !== undefined) discount = `${coupon.percentOff}%`;
  else if (coupon.amountOff !== undefined) {
    discount = new Intl.NumberFormat('en-GB', { style: 'currency', currency: coupon.currency ?? 'GBP' }).format(coupon.amountOff);
  }
  return { code: coupon.code, discount, expires: DATE.format(new Date(coupon.validUntil)), validUntil: coupon.validUntil };
}

/** One line, no control characters, collapsed spaces, bounded: safe for any header. */
export function headerSafe(text: string, max = MAX_SUBJECT): string {
  const clean = stripControl(text).replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1).trimEnd()}…` : clean;
}

export function renderContext(input: RenderInput): Record<string, unknown> {
  return {
    firstName: firstNameOf(input.customer.traits),
    lastName: lastNameOf(input.customer.traits),
    tier: input.customer.tier ?? '',
    stage: input.customer.stage ?? '',
    coupon: input.coupon ? couponView(input.coupon) : undefined,
    points: input.points ? { balance: input.points.balance, awarded: input.points.awarded ?? 0 } : undefined,
    recommendations: (input.recommendations ?? []).map((r) => ({ sku: r.sku, name: r.name ?? r.sku, category: r.category ?? '' })),
    campaign: { id: input.campaign.id, name: input.campaign.name },
    variant: input.variant,
    unsubscribeUrl: input.unsubscribeUrl,
    preferencesUrl: input.preferencesUrl,
    brand: input.brand ?? 'winback',
  };
}

export async function renderMessage(input: RenderInput): Promise<RenderedMessage> {
  const template = typeof input.template === 'string' ? await loadTemplate(input.template, input.templatesDir ?? defaultTemplatesDir()) : input.template;
  return renderLoaded(template, input);
}

/** Renders an already loaded template (pure). */
export function renderLoaded(template: LoadedTemplate, input: RenderInput): RenderedMessage {
  const context = renderContext(input);
  const subjectTemplate = input.subject !== undefined ? compileTemplate(input.subject, `${template.name} (subject)`) : template.subject;
  if (!subjectTemplate) throw new ValidationError(`template "${template.name}" has no subject and none was given`, 'subject');
  const preheaderTemplate = input.preheader !== undefined ? compileTemplate(input.preheader, `${template.name} (preheader)`) : template.preheader;
  const subject = headerSafe(subjectTemplate.render(context, 'header'));
  if (!subject) throw new ValidationError(`the subject of "${template.name}" renders empty`, 'subject');
  const preheader = headerSafe(preheaderTemplate?.render(context, 'header') ?? '', 150);
  const body = template.html.render(context, 'html');
  const text = template.text.render(context, 'text').trimEnd();
  const unsubscribeUrl = headerSafe(input.unsubscribeUrl, 2000);
  const preferencesUrl = headerSafe(input.preferencesUrl, 2000);
  const brand = input.brand ?? 'winback';
  return {
    subject,
    preheader,
    html: layout({ subject, preheader, body, unsubscribeUrl, preferencesUrl, brand }),
    text: `${text}\n\n--\n${brand}\nUnsubscribe: ${unsubscribeUrl}\nEmail preferences: ${preferencesUrl}\n`,
    headers: {
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

const FONT = 'font-family:Arial,Helvetica,sans-serif;';

/** The shared responsive layout: one 600 px column of tables with inline styles, a hidden preheader. */
function layout(parts: { subject: string; preheader: string; body: string; unsubscribeUrl: string; preferencesUrl: string; brand: string }): string {
  const e = escapeHtml;
  // Spacer characters after the preheader keep clients from filling the preview with body text.
  const spacer = '&#8199;&#65279;&#847; '.repeat(30);
  return `<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>${e(parts.subject)}</title>
<style>
  @media only screen and (max-width: 620px) {
    .wb-container { width: 100% !important; }
    .wb-pad { padding-left: 16px !important; padding-right: 16px !important; }
  }
</style>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;-webkit-text-size-adjust:100%;">
<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">${e(parts.preheader)}${spacer}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;">
<tr>
<td align="center" style="padding:24px 8px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" class="wb-container" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%;background-color:#ffffff;border-radius:8px;">
<tr>
<td class="wb-pad" style="padding:24px 32px 8px 32px;${FONT}font-size:20px;line-height:28px;font-weight:bold;color:#111827;">${e(parts.brand)}</td>
</tr>
<tr>
<td class="wb-pad" style="padding:8px 32px 24px 32px;${FONT}font-size:16px;line-height:24px;color:#374151;">
${parts.body.trim()}
</td>
</tr>
<tr>
<td class="wb-pad" style="padding:16px 32px 24px 32px;border-top:1px solid #e5e7eb;${FONT}font-size:12px;line-height:18px;color:#6b7280;">
You receive this email as a customer of ${e(parts.brand)}.
<a href="${e(parts.unsubscribeUrl)}" style="color:#6b7280;text-decoration:underline;">Unsubscribe</a>
&middot;
<a href="${e(parts.preferencesUrl)}" style="color:#6b7280;text-decoration:underline;">Email preferences</a>
</td>
</tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td>
</tr>
</table>
</body>
</html>
`;
}
