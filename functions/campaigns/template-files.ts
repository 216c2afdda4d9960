import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TemplateError } from './errors.js';
import { compileTemplate, type CompiledTemplate } from './template-language.js';

/**
 * Email templates as files: `<dir>/<name>.html` (the message body, placed inside the shared
 * responsive layout) and `<dir>/<name>.txt` (the text part). The HTML file may start with a
 * YAML front matter block giving `subject` and `preheader` (templates themselves):
 *
 *   ---
 *   subject: "{{firstName}}, 20% off to welcome you back"
 *   preheader: Your code expires on {{coupon.expires}}
 *   ---
 *   <p style="...">Hi {{firstName}}, ...</p>
 */
export interface LoadedTemplate {
  readonly name: string;
  readonly subject?: CompiledTemplate;
  readonly preheader?: CompiledTemplate;
  readonly html: CompiledTemplate;
  readonly text: CompiledTemplate;
}

/** The names a template may use; anything else is a typo caught by `campaigns validate`. */
export const TEMPLATE_VARIABLES = new Set([
  'firstName',
  'lastName',
  'tier',
  'stage',
  'coupon',
  'points',
  'recommendations',
  'campaign',
  'variant',
  'unsubscribeUrl',
  'preferencesUrl',
  'brand',
]);

const FrontMatter = z.strictObject({
  subject: z.string().min(1).max(300).optional(),
  preheader: z.string().max(300).optional(),
});

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function templatePaths(name: string, dir: string): { html: string; text: string } {
  return { html: path.join(dir, `${name}.html`), text: path.join(dir, `${name}.txt`) };
}

async function readTemplateFile(file: string, name: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(
      code === 'ENOENT' ? `template "${name}" has no file ${file}` : `template "${name}": cannot read ${file} (${code ?? 'error'})`,
      name,
      undefined,
      { cause: error },
    );
  }
}

export function parseTemplate(name: string, htmlSource: string, textSource: string, htmlFile = `${name}.html`): LoadedTemplate {
  let body = htmlSource;
  let meta: z.infer<typeof FrontMatter> = {};
  const fm = FRONT_MATTER.exec(htmlSource);
  if (fm) {
    body = htmlSource.slice(fm[0].length);
    let raw: unknown;
    try {
      raw = parseYaml(fm[1] ?? '');
    } catch (error) {
      throw new TemplateError(`${htmlFile}: front matter is not valid YAML (${(error as Error).message})`, name, undefined, { cause: error });
    }
    const parsed = FrontMatter.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TemplateError(`${htmlFile}: front matter ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`, name);
    }
    meta = parsed.data;
  }
  const textFile = htmlFile.replace(/\.html$/, '.txt');
  return {
    name,
    ...(meta.subject ? { subject: compileTemplate(meta.subject, `${htmlFile} (subject)`) } : {}),
    ...(meta.preheader ? { preheader: compileTemplate(meta.preheader, `${htmlFile} (preheader)`) } : {}),
    html: compileTemplate(body, htmlFile, fm ? fm[0].split('\n').length - (fm[0].endsWith('\n') ? 1 : 0) + 1 : 1),
    text: compileTemplate(textSource, textFile),
  };
}

/** Variables a template uses that no message provides (typos such as `{{firstname}}`). */
export function unknownVariables(template: LoadedTemplate): string[] {
  const used = new Set<string>();
  for (const part of [template.subject, template.preheader, template.html, template.text]) {
    for (const v of part?.variables ?? []) used.add(v);
  }
  return [...used].filter((v) => !TEMPLATE_VARIABLES.has(v)).sort();
}

const cache = new Map<string, Promise<LoadedTemplate>>();

/** Loads and compiles a template (cached per process, as a warm Lambda would). */
export function loadTemplate(name: string, dir: string): Promise<LoadedTemplate> {
  if (!TEMPLATE_NAME.test(name)) return Promise.reject(new TemplateError(`"${name}" is not a template name`, name));
  const key = `${path.resolve(dir)}\u0000${name}`;
  let loaded = cache.get(key);
  if (!loaded) {
    const files = templatePaths(name, dir);
    loaded = Promise.all([readTemplateFile(files.html, name), readTemplateFile(files.text, name)]).then(([html, text]) =>
      parseTemplate(name, html, text, files.html),
    );
    loaded.catch(() => cache.delete(key));
    cache.set(key, loaded);
  }
  return loaded;
}
