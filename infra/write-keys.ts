import { Aws, Fn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { InfraConfigError } from './errors.js';

/** Write key -> source name, as WRITE_KEYS in functions/commons/config.ts expects it. */
export type WriteKeys = Readonly<Record<string, string>>;

/** The CDK context key: `cdk deploy -c writeKeys='{"wk_...":"web"}'` or `"context"` in cdk.json. */
export const WRITE_KEYS_CONTEXT = 'writeKeys';
/** Source name given to the derived default key. */
export const DEFAULT_SOURCE_NAME = 'web';
/** The function's config rejects shorter keys. */
const MIN_KEY_LENGTH = 8;

/**
 * Reads and validates the `writeKeys` context value (a JSON string on the command line, an object
 * in cdk.json). Returns undefined when absent, so that the stack derives its own default key.
 */
export function writeKeysFromContext(scope: Construct): WriteKeys | undefined {
  const raw: unknown = scope.node.tryGetContext(WRITE_KEYS_CONTEXT);
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new InfraConfigError(scope, `context ${WRITE_KEYS_CONTEXT} is not valid JSON`, { cause });
    }
  }
  return validateWriteKeys(scope, value);
}

export function validateWriteKeys(scope: Construct, value: unknown): WriteKeys {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InfraConfigError(scope, `${WRITE_KEYS_CONTEXT} must be a JSON object of write key -> source name`);
  }
  const entries = Object.entries(value);
  if (entries.length === 0) {
    throw new InfraConfigError(scope, `${WRITE_KEYS_CONTEXT} is empty: the API would accept no request`);
  }
  for (const [key, source] of entries) {
    if (key.length < MIN_KEY_LENGTH) {
      throw new InfraConfigError(scope, `${WRITE_KEYS_CONTEXT}: a key is shorter than ${MIN_KEY_LENGTH} characters`);
    }
    if (typeof source !== 'string' || source.length === 0) {
      throw new InfraConfigError(scope, `${WRITE_KEYS_CONTEXT}: the source name of each key must be a non-empty string`);
    }
  }
  return Object.fromEntries(entries) as WriteKeys;
}

export interface ResolvedWriteKeys {
  /** The WRITE_KEYS environment value (a JSON object; a CloudFormation expression for the default). */
  readonly json: string;
  /** The derived key when none was configured, to publish as a stack output; else undefined. */
  readonly defaultKey?: string;
}

/**
 * The configured keys, or one default key derived from the stack's unique id (the UUID in
 * AWS::StackId). The default is stable for the life of the stack, different in every deployment
 * and unknown until deployed, unlike a key derived from the stack name, which every clone of
 * this repository would share. Write keys are not secrets (Segment ships them in web pages); the
 * point is that a stranger cannot guess one before it is published.
 */
export function resolveWriteKeys(writeKeys: WriteKeys | undefined): ResolvedWriteKeys {
  if (writeKeys) return { json: JSON.stringify(writeKeys) };
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid> -> <uuid> (hex and dashes: JSON-safe).
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  const defaultKey = Fn.join('', ['wk_', stackUuid]);
  return { json: Fn.join('', ['{"', defaultKey, `":"${DEFAULT_SOURCE_NAME}"}`]), defaultKey };
}
