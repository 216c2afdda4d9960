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
