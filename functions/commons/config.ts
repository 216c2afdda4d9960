import { z } from 'zod';
import { ConfigError } from '../../kernel/errors.js';
import { CONFIGURATION_SET_NAME, DEFAULT_SEGMENT_CUSTOMERS, DEFAULT_TRAINING_SAMPLE, EVENT_RETENTION_DAYS, MAX_BODY_BYTES } from '../../kernel/settings.js';

/**
 * The one place that reads the environment. Read once (at cold start, on first use) and
 * validated, so a misconfigured function fails loudly instead of half-working.
 * AWS endpoints are not configured here: the SDK reads AWS_ENDPOINT_URL_<SERVICE> itself,
 * which is how the local stack points the same code at the emulators.
 */
const boolFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

export const Config = z.object({
  TABLE_NAME: z.string().min(1),
  EVENTS_QUEUE_URL: z.string().url().optional(),
  EMAIL_EVENTS_QUEUE_URL: z.string().url().optional(),
  /** The events queue's dead-letter queue: the processor parks there, alone, an event DynamoDB refuses (its neighbours are stored). */
  EVENTS_DLQ_URL: z.string().url().optional(),
  /** JSON object mapping each write key to its source name, e.g. {"wk_abc":"web"}. Write keys are not secrets: Segment ships them in web pages. */
  WRITE_KEYS: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string().min(8), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'WRITE_KEYS must be a JSON object of key -> source name' });
        return z.NEVER;
      }
    }),
  /**
   * Origins each write key may be used from in a browser, as a JSON object of write key -> list of
   * origins, e.g. {"wk_abc":["https://shop.example.com"]}. A key not listed (the default) may be
   * used from any origin: a write key is public by design, printed in every page. Requests without
   * an Origin header (servers, SDKs) are not concerned.
   */
  WRITE_KEY_ORIGINS: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string().min(1), z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/)).min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'WRITE_KEY_ORIGINS must be a JSON object of write key -> list of origins ("https://shop.example.com" or "*")' });
        return z.NEVER;
      }
    }),
  /** Verify SNS message signatures on POST /v1/email-events (off only on the local stack). */
  VERIFY_SNS_SIGNATURE: boolFromEnv.default(true),
  /** Comma-separated SNS topic ARNs accepted on POST /v1/email-events; empty accepts any verified topic. */
  SNS_TOPIC_ARNS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(MAX_BODY_BYTES),
  /** Days events are kept before the TTL attribute lets DynamoDB expire them. */
  EVENT_RETENTION_DAYS: z.coerce.number().int().positive().default(EVENT_RETENTION_DAYS),
  /**
   * Where model versions live: `s3://bucket/prefix` in AWS, `file:///abs/dir` locally (the CLI
   * sets `file://<dataDir>/models` when this is unset). See models/registry/.
   */
  MODEL_REGISTRY_URI: z
    .string()
    .regex(/^(file|s3):\/\/.+/, 'must be file://<dir> or s3://<bucket>[/prefix]')
    .default('file://.winback/models'),
  /** A churn probability at or above this is "at risk"; crossing it writes a score-change record. */
  CHURN_THRESHOLD: z.coerce.number().gt(0).lt(1).default(0.6),
  /**
   * Absolute CLV thresholds of the value tiers as JSON {"diamond":n,"gold":n,"silver":n}; unset
   * uses the population quantiles stored with the champion CLV model.
   */
  VALUE_TIER_THRESHOLDS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      try {
        const t = z.object({ diamond: z.number(), gold: z.number(), silver: z.number() }).parse(JSON.parse(s));
        if (!(t.diamond >= t.gold && t.gold >= t.silver)) throw new Error('order');
        return t;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'VALUE_TIER_THRESHOLDS must be JSON {"diamond","gold","silver"} with diamond >= gold >= silver' });
        return z.NEVER;
      }
    }),
  /** Seed of every training run (same seed + same data = same model). */
  TRAINING_SEED: z.coerce.number().int().nonnegative().default(42),
  /** Live backtest: a champion whose realised AUC (its scores of one horizon ago) falls below this is flagged. */
  BACKTEST_MIN_AUC: z.coerce.number().min(0).max(1).default(0.6),

  /* ---- Shopify webhooks (issue 11) ---- */
  /**
   * The key Shopify signs webhooks with (X-Shopify-Hmac-Sha256): the app's client secret, or the
   * key shown under Settings > Notifications > Webhooks for webhooks made in a shop's admin.
   * Several may be given, separated by commas (several shops, or a rotation in progress).
   * Used as is on the local stack (`WINBACK_SHOPIFY_SECRET=... winback up`).
   */
  WINBACK_SHOPIFY_SECRET: z.string().min(1).optional(),
  /**
   * In AWS: the Secrets Manager secret holding that key (its value is put by the user, see the
   * README). Read only when WINBACK_SHOPIFY_SECRET is unset, by functions/ingest/shopify/shopify-secret.ts.
   */
  SHOPIFY_SECRET_ARN: z
    .string()
    .regex(/^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+/, 'SHOPIFY_SECRET_ARN must be a Secrets Manager secret ARN')
    .optional(),

  /* ---- campaigns (issue 4) ---- */
  /**
   * HMAC key of unsubscribe / preference tokens (List-Unsubscribe links). Required (or
   * UNSUBSCRIBE_SECRET_ARN) wherever mail is sent or the unsubscribe endpoint runs; at least 32 characters. Rotating it invalidates links
   * already sent, so keep it for at least the token lifetime.
   */
  UNSUBSCRIBE_SECRET: z.string().min(32, 'UNSUBSCRIBE_SECRET must be at least 32 characters').optional(),
  /**
   * In AWS: the Secrets Manager secret holding that key (the stack generates it), so the key
   * is in no template, environment listing or deployment log. Read only when UNSUBSCRIBE_SECRET
   * is unset, once per container, by `loadSecrets()` (functions/campaigns/secrets.ts).
   */
  UNSUBSCRIBE_SECRET_ARN: z
    .string()
    .regex(/^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+/, 'UNSUBSCRIBE_SECRET_ARN must be a Secrets Manager secret ARN')
    .optional(),
  /** HMAC key of coupon codes; unset derives one from UNSUBSCRIBE_SECRET (domain-separated). */
  COUPON_SECRET: z.string().min(32, 'COUPON_SECRET must be at least 32 characters').optional(),
  /** Days an unsubscribe link keeps working (RFC 8058 links must outlive the mail by a long way). */
  UNSUBSCRIBE_TOKEN_DAYS: z.coerce.number().int().positive().default(400),
  /** Base URL of the unsubscribe / preferences pages in emails (locally the local API URL). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:4000'),
  /** Consent topics offered on the preference page. */
  CONSENT_TOPICS: z
    .string()
    .default('marketing,rewards')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  /**
   * opt-out (default, "soft opt-in" for existing customers): mail unless the customer opted out of
   * the topic or of everything ('*'). opt-in: marketing mail only with an explicit grant of the
   * topic or of '*'. Either way the most recent explicit choice (topic vs '*') wins.
   */
  CONSENT_MODE: z.enum(['opt-in', 'opt-out']).default('opt-out'),
  /** Frequency cap across campaigns: at most this many non-transactional emails per window. */
  FREQUENCY_CAP_MAX: z.coerce.number().int().positive().default(3),
  FREQUENCY_CAP_WINDOW_DAYS: z.coerce.number().positive().default(7),
  /** Quiet hours in the customer's local time, HH:MM (start inclusive, end exclusive; may wrap midnight). */
  QUIET_HOURS_START: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM').default('21:00'),
  QUIET_HOURS_END: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM').default('08:00'),
  /** IANA timezone for customers without a (valid) timezone trait. */
  DEFAULT_TIMEZONE: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA timezone such as "Europe/London"'),
  /** Sender of campaign mail (a verified SES identity in AWS). */
  SES_FROM_ADDRESS: z.string().min(3).default('winback@example.com'),
  /** SES configuration set (event publishing: send, delivery, open, click, bounce, complaint). */
  SES_CONFIGURATION_SET: z.string().min(1).default(CONFIGURATION_SET_NAME),
  /** Client-side send rate limit, emails per second: the account's MaxSendRate (14/s is a common production start). */
  SES_MAX_SEND_RATE: z.coerce.number().positive().default(14),
  /**
   * Local stack only: where to publish the SES Send and Delivery events AWS would publish after
   * each send (`<apiUrl>/v1/email-events`), and the write key to authenticate with. Unset in AWS.
   */
  LOCAL_SES_EVENTS_URL: z.string().url().optional(),
  LOCAL_SES_EVENTS_WRITE_KEY: z.string().optional(),
  /**
   * Local stack only: the stack stands in for SNS and signs its notifications with a key of its
   * data dir. The certificate URL (a file: URL) is the one certificate the verifier trusts besides
   * SNS's hosts; the key file is what local producers sign with. Unset in AWS.
   */
  LOCAL_SNS_SIGNING_CERT_URL: z.string().regex(/^file:\/\/\//, 'must be a file:/// URL').optional(),
  LOCAL_SNS_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /* ---- campaign journeys (issue 4, orchestration) ---- */
  /** Directory of the campaign definitions (`*.yaml`); in Lambda the definitions layer is mounted at /opt. */
  CAMPAIGNS_DIR: z.string().min(1).default('campaigns'),
  /**
   * Journey clock speed: real seconds per journey second. 1 in AWS; the local stack and tests
   * scale waits down (e.g. 0.001: a 3-day wait takes 4.3 minutes) without changing the ASL.
   */
  JOURNEY_TIME_SCALE: z.coerce.number().gt(0).lte(1).default(1),
  /** Journey state machine (StartExecution target of triggers and the audience fan-out). */
  JOURNEY_STATE_MACHINE_ARN: z.string().optional(),
  /** Audience fan-out state machine (started by schedule triggers). */
  FANOUT_STATE_MACHINE_ARN: z.string().optional(),
  /** Journey seconds between two checks of a wait-until step (cost vs reaction time). */
  JOURNEY_POLL_SECONDS: z.coerce.number().int().positive().default(3600),
  /** Minutes of history each trigger sweep looks back over (overlaps are harmless: names dedupe). */
  TRIGGER_LOOKBACK_MINUTES: z.coerce.number().int().positive().default(180),
});
export type Config = z.infer<typeof Config>;

let cached: Config | undefined;

export function getConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached) return cached;
  const parsed = Config.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${detail}`);
  }
  cached = parsed.data;
  return cached;
}

/** For the local runtime and tests, which set the environment and then need a fresh read. */
export function resetConfig(): void {
  cached = undefined;
}

/**
 * Settings read afresh on every call, never cached with getConfig(): the local stack, the
 * benchmarks and tests set them after a process first read its configuration, and a CLI pointed at
 * a deployed stack signs or plans without the rest of the configuration (no TABLE_NAME).
 */
export const LiveSettings = z.object({
  /** Customers per distributed-job segment; an unusable value falls back to the default. */
  JOB_SEGMENT_CUSTOMERS: z.coerce.number().int().positive().catch(DEFAULT_SEGMENT_CUSTOMERS),
  /** Customers the training job trains on at most. */
  TRAINING_SAMPLE_CUSTOMERS: z.coerce.number().int().positive().catch(DEFAULT_TRAINING_SAMPLE),
  /** The distributed jobs' bucket (manifests, feature shards, results). */
  JOB_BUCKET: z.string().optional(),
  /** Locally: the directory standing in for JOB_BUCKET. */
  JOB_BUCKET_DIR: z.string().optional(),
  /** Locally: the private key the stack's SNS stand-in signs with, and its certificate's URL. */
  LOCAL_SNS_SIGNING_KEY_FILE: z.string().optional(),
  LOCAL_SNS_SIGNING_CERT_URL: z.string().optional(),
});
export type LiveSettings = z.infer<typeof LiveSettings>;

export const liveSettings = (env: NodeJS.ProcessEnv = process.env): LiveSettings => LiveSettings.parse(env);
