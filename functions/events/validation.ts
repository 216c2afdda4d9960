import type { z } from 'zod';
import { ValidationError } from '../../kernel/errors.js';

/** `batch[3].properties.price` style paths, so a 400 names the exact field. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}

/** Parses with a zod schema and turns failure into a ValidationError naming each field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((i) => ({ path: formatPath(i.path, prefix), message: i.message }));
  const first = issues[0] ?? { path: prefix || '(body)', message: 'invalid' };
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new ValidationError(`${first.path}: ${first.message}${more}`, first.path, issues, { cause: result.error });
}

/** Deeper than any real analytics payload; far below what recursive JSON code (size checks, marshalling) survives. */
export const MAX_NESTING_DEPTH = 32;
/**
 * DynamoDB's number range: magnitudes up to 9.9999999999999999999999999999999999999E+125, nonzero
 * down to 1E-130. That maximum is 1e126 as a double, so the test is `< 1e126`.
 */
export const DYNAMODB_NUMBER_LIMIT = 1e126;
export const DYNAMODB_MIN_NUMBER = 1e-130;
/** Keys that mean something to JavaScript objects; stored as data they would turn into prototype changes downstream. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export interface UnstorableValue {
  /** `batch[3].properties.price` style. */
  readonly field: string;
  readonly reason: string;
}

const childPath = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * The first value of a parsed JSON payload the store cannot hold or should not: a number outside
 * DynamoDB's range (it would be answered 2xx, then fail in the processor), a reserved key,
 * nesting deeper than MAX_NESTING_DEPTH, or an `email` with control characters (CR/LF end up
 * in mail headers). Iterative, so a payload nested 100,000 deep costs a loop, not the stack.
 */
export function findUnstorable(value: unknown, prefix = ''): UnstorableValue | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number; key?: string }> = [{ value, path: prefix, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    const field = item.path || '(body)';
    if (typeof v === 'number') {
      const abs = Math.abs(v);
      if (!Number.isFinite(v) || abs >= DYNAMODB_NUMBER_LIMIT || (abs !== 0 && abs < DYNAMODB_MIN_NUMBER)) {
        return { field, reason: `${field}: the number ${String(v)} is outside the storable range (magnitude 1e-130 to 9.99e125, or 0)` };
      }
    } else if (typeof v === 'string') {
      if (item.key?.toLowerCase() === 'email' && CONTROL_CHARACTER.test(v)) {
        return { field, reason: `${field}: an email address may not contain control characters (CR, LF, tab...)` };
      }
    } else if (v !== null && typeof v === 'object') {
      if (item.depth >= MAX_NESTING_DEPTH) {
        return { field, reason: `${field}: nested deeper than ${MAX_NESTING_DEPTH} levels` };
      }
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: childPath(item.path, i), depth: item.depth + 1 });
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i]!;
          const path = childPath(item.path, key);
          if (RESERVED_KEYS.has(key)) return { field: path, reason: `${path}: "${key}" is a reserved key name` };
          stack.push({ value: (v as Record<string, unknown>)[key], path, depth: item.depth + 1, key });
        }
      }
    }
  }
  return undefined;
}

/** Throws a ValidationError (400) naming the first value the store cannot hold; see findUnstorable. */
export function assertStorable(value: unknown, prefix = ''): void {
  const problem = findUnstorable(value, prefix);
  if (problem) throw new ValidationError(problem.reason, problem.field);
}
