import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { AttributeCondition, EventMatcher } from '../matchers.js';
import { TEMPLATE_NAME } from '../template-files.js';
import { Audience, ValueTier } from './audience.js';
import { Budget, Incentive, Targeting, targetingIssues } from './targeting.js';

/**
 * Campaigns as code: one YAML file per campaign in `campaigns/` (`<id>.yaml`), templates in
 * `campaigns/templates/`. The schema below is the reference of the format; every duration is a
 * string such as "1h" or "3d" in the file and milliseconds once parsed.
 */

const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug of lower-case letters, digits and dashes, e.g. "high-value-winback"');
/** Step and variant ids become SES message tags: letters, digits, '_' and '-' only. */
const Label = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be letters, digits, "_" and "-" only (it becomes an SES message tag)');
const TemplateName = z
  .string()
  .regex(TEMPLATE_NAME, 'must be a template name (campaigns/templates/<name>.html and <name>.txt), e.g. "winback-offer"');

export const Duration = z
  .string({ error: 'must be a duration such as "1h" or "3d" (a number and one of s, m, h, d, w)' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(text)} is not a duration; write a number and a unit (s, m, h, d, w), e.g. "3d"`,
      });
      return z.NEVER;
    }
    return ms;
  });

const DAY = 86_400_000;

/** A consent topic ('marketing', 'rewards', ...). '*' is "everything" and not a campaign topic. */
const Topic = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a consent topic such as "marketing" or "rewards"');

/* ---------------------------------- triggers ---------------------------------- */

export const ScoreTrigger = z
  .strictObject({
    type: z.literal('score'),
    model: z.enum(['churn', 'propensity']),
    /** The score crossing this value (upwards or downwards) enters the customer. */
    threshold: z.number().gt(0).lt(1),
    direction: z.enum(['up', 'down']).default('up'),
    /**
     * The score must move back beyond threshold -/+ hysteresis before a new crossing counts, so a
     * customer hovering at the threshold is not entered again and again.
     */
    hysteresis: z.number().min(0).lt(0.5).default(0.05),
  })
  .refine((t) => (t.direction === 'up' ? t.threshold - t.hysteresis >= 0 : t.threshold + t.hysteresis <= 1), {
    message: 'threshold -/+ hysteresis must stay within 0..1',
    path: ['hysteresis'],
  });

export const EventTrigger = z.strictObject({
  type: z.literal('event'),
  event: EventMatcher,
  /** Do not enter if this event happens within `within` after the trigger (cart abandoned = no order within 1h). */
  unless: EventMatcher.extend({ within: Duration }).optional(),
});

export const FirstOrderTrigger = z.strictObject({ type: z.literal('first-order') });
export const TierUpgradeTrigger = z.strictObject({ type: z.literal('tier-upgrade'), to: ValueTier.optional() });

const CRON_FIELD = /^[0-9A-Z*?,/#LW-]+$/i;
export const ScheduleTrigger = z.strictObject({
  type: z.literal('schedule'),
  /** Standard 5-field cron, or EventBridge's 6-field form (`0 10 ? * MON *`), in UTC unless `timezone`. */
  cron: z.string().refine(
    (c) => {
      const fields = c.trim().split(/\s+/);
      return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
    },
    { message: 'must be a cron expression of 5 fields ("0 10 * * 1") or EventBridge\'s 6 ("0 10 ? * MON *")' },
  ),
  timezone: z.string().optional(),
});

export const Trigger = z.discriminatedUnion('type', [ScoreTrigger, EventTrigger, FirstOrderTrigger, TierUpgradeTrigger, ScheduleTrigger], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unknown trigger type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; expected score, event, first-order, tier-upgrade or schedule`
      : undefined,
});
export type Trigger = z.infer<typeof Trigger>;

/* ---------------------------------- variants, steps ---------------------------------- */

export const Variant = z.strictObject({
  id: Label,
  weight: z.number().positive('must be above 0').default(1),
  template: TemplateName,
  /** Overrides the template's subject (a template itself: `{{firstName}}` works). */
  subject: z.string().min(1).max(300).optional(),
  preheader: z.string().max(300).optional(),
});
export type Variant = z.infer<typeof Variant>;

const nullAsEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema);

const SendInput = nullAsEmpty(
  z.strictObject({
    /** Absent: the template of the customer's variant. */
    template: TemplateName.optional(),
    /** Present: only customers assigned this variant get this step (others skip it). */
    variant: Label.optional(),
    subject: z.string().min(1).max(300).optional(),
    preheader: z.string().max(300).optional(),
  }),
);
const WaitInput = z.strictObject({ duration: Duration });
const WaitUntilInput = z.strictObject({ event: EventMatcher, timeout: Duration });
const Target = z.union([z.string().min(1), z.number().int().nonnegative()], {
  error: 'must be a step id or a 0-based step index',
});
const BranchInput = z.strictObject({
  /** `event`: the event happened since the customer entered; `attribute`: a condition on the customer. */
  if: z
    .strictObject({ event: EventMatcher.optional(), attribute: AttributeCondition.optional() })
    .refine((c) => (c.event === undefined) !== (c.attribute === undefined), { message: 'if needs exactly one of event or attribute' }),
  then: Target,
  /** Absent: continue with the next step. */
  else: Target.optional(),
});
const ExitInput = nullAsEmpty(z.strictObject({ reason: z.string().max(200).optional() }));

const STEP_KINDS = ['send', 'wait', 'waitUntil', 'branch', 'exit'] as const;
type StepKind = (typeof STEP_KINDS)[number];

const StepInput = z
  .strictObject({
    id: Label.optional(),
    send: SendInput.optional(),
    wait: WaitInput.optional(),
    waitUntil: WaitUntilInput.optional(),
    branch: BranchInput.optional(),
    exit: ExitInput.optional(),
  })
  .superRefine((s, ctx) => {
    const kinds = STEP_KINDS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? `a step needs one of ${STEP_KINDS.join(', ')}`
            : `a step does one thing; this one has ${kinds.join(' and ')}`,
      });
    }
  });

export interface SendStep {
  readonly id: string;
  readonly send: { readonly template?: string; readonly variant?: string; readonly subject?: string; readonly preheader?: string };
}
export interface WaitStep {
  readonly id: string;
  /** Milliseconds. */
  readonly wait: { readonly duration: number };
}
export interface WaitUntilStep {
  readonly id: string;
  /** Continue when the event happens or after `timeout` milliseconds, whichever comes first. */
  readonly waitUntil: { readonly event: EventMatcher; readonly timeout: number };
}
export interface BranchStep {
  readonly id: string;
  /** `then` / `else` are step ids (indices in the file are resolved); `else` absent only on the last step (end). */
  readonly branch: { readonly if: { readonly event?: EventMatcher; readonly attribute?: AttributeCondition }; readonly then: string; readonly else?: string };
}
export interface ExitStep {
  readonly id: string;
  readonly exit: { readonly reason?: string };
}
export type CampaignStep = SendStep | WaitStep | WaitUntilStep | BranchStep | ExitStep;

export function stepKind(step: CampaignStep): StepKind {
  if ('send' in step) return 'send';
  if ('wait' in step) return 'wait';
  if ('waitUntil' in step) return 'waitUntil';
  if ('branch' in step) return 'branch';
  return 'exit';
}

/* ---------------------------------- rewards, goal, re-entry ---------------------------------- */

export const CouponReward = z
  .strictObject({
    percentOff: z.number().gt(0).max(100).optional(),
    amountOff: z.number().positive().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "GBP"').optional(),
    expiresInDays: z.number().int().positive().max(366),
    /** Printed before the code: `WB20-7K3QF-XM2PA`. */
    prefix: z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be 2-12 upper-case letters or digits'),
  })
  .superRefine((c, ctx) => {
    if ((c.percentOff === undefined) === (c.amountOff === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a coupon needs exactly one of percentOff or amountOff', path: ['percentOff'] });
    }
    if (c.amountOff !== undefined && c.currency === undefined) {
      ctx.addIssue({ code: 'custom', message: 'amountOff needs a currency', path: ['currency'] });
    }
  });
export type CouponReward = z.infer<typeof CouponReward>;

export const PointsReward = z.strictObject({ amount: z.number().int().positive() });
export type PointsReward = z.infer<typeof PointsReward>;

export const Rewards = z.strictObject({ coupon: CouponReward.optional(), points: PointsReward.optional() });
export type Rewards = z.infer<typeof Rewards>;

export const Goal = z.strictObject({
  event: EventMatcher,
  /** Conversions count within this many ms after the customer's first send (or entry, for the holdout). */
  attributionWindow: Duration.default(14 * DAY),
});
export type Goal = z.infer<typeof Goal>;

export const Reentry = z.strictObject({
  allowed: z.boolean().default(false),
  /** Minimum time between two entries of the same customer, ms. */
  cooldown: Duration.default(30 * DAY),
});

const Holdout = z.union([z.number(), z.strictObject({ share: z.number() })]).transform((h) => (typeof h === 'number' ? h : h.share));

/* ---------------------------------- the campaign ---------------------------------- */

const CampaignInput = z
  .strictObject({
    id: Slug,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    status: z.enum(['draft', 'active', 'paused']).default('draft'),
    topic: Topic,
    /** Transactional mail is exempt from the frequency cap and from '*' opt-outs; it still honours suppression and its own topic. */
    transactional: z.boolean().default(false),
    trigger: Trigger,
    audience: Audience.prefault({}),
    /** Share of entrants held out (walk the journey, receive nothing): 0..0.5. `holdout: 0.1` or `holdout: { share: 0.1 }`. */
    holdout: Holdout.pipe(z.number().min(0, 'holdout share must be 0..0.5').max(0.5, 'holdout share must be 0..0.5')).default(0),
    variants: z.array(Variant).min(1).optional(),
    steps: z.array(StepInput).min(1, 'a campaign needs at least one step'),
    rewards: Rewards.optional(),
    goal: Goal.prefault({ event: { kind: 'order', name: 'placed' } }),
    reentry: Reentry.prefault({}),
    /** At most this many sends per run (schedule / segment fan-out); unset: no limit. */
    sendLimitPerRun: z.number().int().positive().optional(),
    /** Who among the eligible audience is sent (definition/targeting.ts); the holdout is drawn before. */
    targeting: Targeting.optional(),
    /** Cap on the incentives committed per period. */
    budget: Budget.optional(),
    /** A coupon sized per recipient from a discount ladder (instead of rewards.coupon). */
    incentive: Incentive.optional(),
  })
  .superRefine((c, ctx) => {
    const ids = c.steps.map((s, i) => s.id ?? defaultStepId(i));
    const seen = new Map<string, number>();
    ids.forEach((id, i) => {
      const first = seen.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step id "${id}" is already used by steps[${first}]` });
      else seen.set(id, i);
    });
    const variantIds = new Set<string>();
    c.variants?.forEach((v, i) => {
      if (variantIds.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `variant id "${v.id}" is used twice` });
      variantIds.add(v.id);
    });
    c.steps.forEach((s, i) => {
      if (s.send) {
        if (s.send.variant !== undefined && !variantIds.has(s.send.variant)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'send', 'variant'],
            message: `no variant "${s.send.variant}"${variantIds.size ? `; variants are ${[...variantIds].join(', ')}` : ' (the campaign defines no variants)'}`,
          });
        }
        if (s.send.template === undefined && !c.variants) {
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'send', 'template'], message: 'a send step needs a template when the campaign has no variants' });
        }
      }
      if (s.branch) {
        for (const key of ['then', 'else'] as const) {
          const target = s.branch[key];
          if (target === undefined) continue;
          const index = typeof target === 'number' ? target : ids.indexOf(target);
          if (index < 0 || index >= ids.length) {
            ctx.addIssue({
              code: 'custom',
              path: ['steps', i, 'branch', key],
              message:
                typeof target === 'number'
                  ? `step index ${target} does not exist (there are ${ids.length} steps, 0..${ids.length - 1})`
                  : `no step with id "${target}"; step ids are ${ids.join(', ')}`,
            });
          } else if (index === i) {
            ctx.addIssue({ code: 'custom', path: ['steps', i, 'branch', key], message: 'a branch cannot target itself' });
          }
        }
      }
    });
    for (const issue of targetingIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
    if (!c.steps.some((s) => s.send)) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a campaign needs at least one send step' });
    }
  })
  .transform((c) => {
    const ids = c.steps.map((s, i) => s.id ?? defaultStepId(i));
    const resolve = (t: string | number): string => (typeof t === 'number' ? ids[t]! : t);
    const steps: CampaignStep[] = c.steps.map((s, i) => {
      const id = ids[i]!;
      if (s.send) return { id, send: s.send };
      if (s.wait) return { id, wait: s.wait };
      if (s.waitUntil) return { id, waitUntil: s.waitUntil };
      if (s.branch) {
        const otherwise = s.branch.else !== undefined ? resolve(s.branch.else) : ids[i + 1];
        return { id, branch: { if: s.branch.if, then: resolve(s.branch.then), ...(otherwise !== undefined ? { else: otherwise } : {}) } };
      }
      return { id, exit: s.exit ?? {} };
    });
    const firstTemplate = steps.flatMap((s) => ('send' in s && s.send.template ? [s.send.template] : []))[0];
    const variants: Variant[] = c.variants ?? [{ id: 'default', weight: 1, template: firstTemplate! }];
    return { ...c, steps, variants };
  });

/** A campaign definition, parsed: durations in ms, step ids filled in (`step-1`...), branch targets as step ids. */
export const CampaignDefinition = CampaignInput;
export type CampaignDefinition = z.output<typeof CampaignDefinition>;

export function defaultStepId(index: number): string {
  return `step-${index + 1}`;
}

/* ---------------------------------- resolution helpers ---------------------------------- */

function findVariant(campaign: CampaignDefinition, variantId: string): Variant | undefined {
  return campaign.variants.find((v) => v.id === variantId);
}

export interface ResolvedSend {
  readonly template: string;
  /** Subject / preheader overrides (templates themselves); absent: the template's front matter. */
  readonly subject?: string;
  readonly preheader?: string;
}

/**
 * What a send step sends to a customer assigned `variantId`, or undefined when the step is for
 * another variant (the customer skips it). The step's own template / subject win over the variant's.
 */
export function resolveSend(campaign: CampaignDefinition, step: SendStep, variantId: string): ResolvedSend | undefined {
  if (step.send.variant !== undefined && step.send.variant !== variantId) return undefined;
  const variant = findVariant(campaign, variantId) ?? campaign.variants[0]!;
  if (step.send.template !== undefined) {
    return {
      template: step.send.template,
      ...(step.send.subject ? { subject: step.send.subject } : {}),
      ...(step.send.preheader ? { preheader: step.send.preheader } : {}),
    };
  }
  const subject = step.send.subject ?? variant.subject;
  const preheader = step.send.preheader ?? variant.preheader;
  return { template: variant.template, ...(subject ? { subject } : {}), ...(preheader ? { preheader } : {}) };
}
