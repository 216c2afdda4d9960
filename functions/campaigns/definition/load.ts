import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CampaignDefinitionError, CampaignNotFoundError, TemplateError, type CampaignIssue } from '../errors.js';
import { loadTemplate, TEMPLATE_NAME, unknownVariables, type LoadedTemplate } from '../template-files.js';
import type { CampaignDefinition } from './schema.js';
import { parseCampaignText, type CampaignFileResult } from './yaml.js';

export interface ValidateOptions {
  /** Where templates live; default `<dir of the file>/templates`. */
  readonly templatesDir?: string;
}

const CAMPAIGN_FILE = /\.ya?ml$/;

interface TemplateRef {
  readonly name: string;
  readonly path: string;
  readonly subjectOverride: boolean;
}

/** Every template a campaign sends, with the path of the field that names it. */
function templateRefs(campaign: CampaignDefinition): TemplateRef[] {
  const refs: TemplateRef[] = [];
  campaign.variants.forEach((v, i) => refs.push({ name: v.template, path: `variants[${i}].template`, subjectOverride: v.subject !== undefined }));
  campaign.steps.forEach((s, i) => {
    if ('send' in s && s.send.template) refs.push({ name: s.send.template, path: `steps[${i}].send.template`, subjectOverride: s.send.subject !== undefined });
  });
  return refs;
}

const fieldsOf = (x: unknown): Record<string, unknown> => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
const itemsOf = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

/**
 * What a file that fails the schema still says about its id and templates, read leniently from
 * the YAML (well-formed names only), so that their problems are reported with the schema's.
 */
function declaredFacts(text: string): { id?: string; refs: TemplateRef[] } {
  const raw = fieldsOf(parseYaml(text) as unknown);
  const refs: TemplateRef[] = [];
  const add = (fields: Record<string, unknown>, at: string): void => {
    const name = fields['template'];
    if (typeof name === 'string' && TEMPLATE_NAME.test(name)) refs.push({ name, path: at, subjectOverride: fields['subject'] !== undefined });
  };
  itemsOf(raw['variants']).forEach((v, i) => add(fieldsOf(v), `variants[${i}].template`));
  itemsOf(raw['steps']).forEach((s, i) => add(fieldsOf(fieldsOf(s)['send']), `steps[${i}].send.template`));
  return { ...(typeof raw['id'] === 'string' ? { id: raw['id'] } : {}), refs };
}

async function templateProblems(file: string, refs: readonly TemplateRef[], templatesDir: string): Promise<CampaignIssue[]> {
  const errors: CampaignIssue[] = [];
  const checked = new Map<string, LoadedTemplate | TemplateError>();
  for (const ref of refs) {
    let loaded = checked.get(ref.name);
    if (!loaded) {
      loaded = await loadTemplate(ref.name, templatesDir).catch((e: unknown) => {
        if (e instanceof TemplateError) return e;
        throw e;
      });
      checked.set(ref.name, loaded);
    }
    if (loaded instanceof TemplateError) {
      errors.push({ file, path: ref.path, message: loaded.message });
      continue;
    }
    const unknown = unknownVariables(loaded);
    if (unknown.length > 0) {
      errors.push({ file, path: ref.path, message: `template "${ref.name}" uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}` });
    }
    if (!loaded.subject && !ref.subjectOverride) {
      errors.push({ file, path: ref.path, message: `template "${ref.name}" has no subject in its front matter, and none is given here` });
    }
  }
  return errors;
}

/**
 * Validates one campaign file: YAML syntax (with line and column), the schema, cross-field rules
 * (variants referenced by steps exist, branch targets exist, step ids unique), the file name
 * (`<id>.yaml`), and that every template exists, compiles, has a subject and uses known variables.
 */
export async function validateCampaignFile(file: string, opts: ValidateOptions = {}): Promise<CampaignFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, errors: [{ file, path: '(file)', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
  const result = parseCampaignText(text, file);
  // Unreadable YAML says nothing more; otherwise every kind of problem is listed at once.
  if (result.errors.some((e) => e.path === '(yaml)' || e.path === '(file)')) return result;
  const campaign = result.campaign;
  const declared = campaign ? { id: campaign.id, refs: templateRefs(campaign) } : declaredFacts(text);
  const errors: CampaignIssue[] = [...result.errors];
  const base = path.basename(file).replace(CAMPAIGN_FILE, '');
  if (declared.id !== undefined && base !== declared.id && !errors.some((e) => e.path === 'id')) {
    errors.push({ file, path: 'id', message: `id "${declared.id}" must match the file name (${base}.yaml), so that commands can find it by id` });
  }
  const templatesDir = opts.templatesDir ?? path.join(path.dirname(file), 'templates');
  const refs = declared.refs.filter((r) => !errors.some((e) => e.path === r.path));
  errors.push(...(await templateProblems(file, refs, templatesDir)));
  return errors.length || !campaign ? { file, errors } : { file, campaign, errors: [] };
}

/** Validates every `*.yaml` / `*.yml` file of a directory (not its subdirectories). */
export async function validateCampaigns(dir: string, opts: ValidateOptions = {}): Promise<CampaignFileResult[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new CampaignNotFoundError(`cannot read the campaigns directory ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const files = names.filter((n) => CAMPAIGN_FILE.test(n)).sort().map((n) => path.join(dir, n));
  const results = await Promise.all(files.map((f) => validateCampaignFile(f, opts)));
  const byId = new Map<string, string>();
  return results.map((r) => {
    if (!r.campaign) return r;
    const other = byId.get(r.campaign.id);
    byId.set(r.campaign.id, r.file);
    return other ? { file: r.file, errors: [{ file: r.file, path: 'id', message: `id "${r.campaign.id}" is also used by ${other}` }] } : r;
  });
}

/** One campaign by id (`<dir>/<id>.yaml` or `.yml`). */
export async function loadCampaign(dir: string, id: string, opts: ValidateOptions = {}): Promise<CampaignDefinition> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new CampaignNotFoundError(`"${id}" is not a campaign id`);
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(dir, `${id}${ext}`);
    const result = await validateCampaignFile(file, opts);
    if (result.errors.length === 1 && result.errors[0]?.path === '(file)' && result.errors[0].message.includes('ENOENT')) continue;
    if (result.errors.length > 0) throw new CampaignDefinitionError(result.errors);
    return result.campaign!;
  }
  throw new CampaignNotFoundError(`no campaign "${id}" in ${dir}`);
}
