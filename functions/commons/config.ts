import { z } from 'zod';
import { ConfigError } from './errors.js';
import { EVENT_RETENTION_DAYS, MAX_BODY_BYTES } from '../../infra/settings.js';

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
