import { TemplateError } from './errors.js';

/**
 * A tiny, safe template engine for campaign emails (a Handlebars subset, no code execution):
 *
 *   {{ firstName }}                 a value; HTML-escaped in HTML output (always: there is no raw form)
 *   {{#if coupon}}..{{else}}..{{/if}}   truthy test ({{#unless x}} is the negation)
 *   {{#each recommendations}}..{{/each}}  loop; inside, names resolve on the item first
 *                                   (`{{name}}`, `{{this.sku}}`, `{{this}}`), then outside;
 *                                   `{{@index}}` is 0-based, `{{@number}}` 1-based
 *   {{! a comment }}
 *
 * Objects and arrays never print (no accidental dumps); missing values print as ''.
 */
type Node =
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'var'; readonly path: string; readonly line: number }
  | {
      readonly type: 'block';
      readonly helper: 'if' | 'unless' | 'each';
      readonly path: string;
      readonly line: number;
      readonly body: Node[];
      readonly otherwise: Node[];
    };

export type OutputMode = 'html' | 'text' | 'header';

export interface CompiledTemplate {
  readonly name: string;
  /** Root names the template reads (`coupon` for `{{coupon.code}}`), for validation. */
  readonly variables: ReadonlySet<string>;
  render(context: Record<string, unknown>, mode: OutputMode): string;
}

const TAG = /\{\{\s*([#/!]?)\s*([^}]*?)\s*\}\}/g;
const PATH = /^(@index|@number|this(\.[A-Za-z_][\w-]*)*|[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*)$/;
const HELPERS = new Set(['if', 'unless', 'each']);

/** `firstLine`: the line of the file where `source` starts (after a front matter block). */
export function compileTemplate(source: string, name: string, firstLine = 1): CompiledTemplate {
  const variables = new Set<string>();
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { type: 'block' }>; inElse: boolean }> = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.otherwise : top.node.body) : root;
  };
  const lineAt = (offset: number): number => source.slice(0, offset).split('\n').length + firstLine - 1;
  const usePath = (path: string, line: number): void => {
    if (!PATH.test(path)) throw new TemplateError(`${name}:${line}: "${path}" is not a variable name`, name, line);
    if (!path.startsWith('@') && !path.startsWith('this') && !stack.some((s) => s.node.helper === 'each')) {
      variables.add(path.split('.')[0]!);
    }
  };

  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const offset = m.index;
    if (offset > last) target().push({ type: 'text', value: source.slice(last, offset) });
    last = offset + m[0].length;
    const sigil = m[1] ?? '';
    const body = (m[2] ?? '').trim();
    const line = lineAt(offset);
    if (sigil === '!') continue;
    if (sigil === '#') {
      const [helper = '', path = '', ...rest] = body.split(/\s+/);
      if (!HELPERS.has(helper) || !path || rest.length > 0) {
        throw new TemplateError(`${name}:${line}: unknown block "{{#${body}}}"; use #if, #unless or #each with one name`, name, line);
      }
      usePath(path, line);
      const block: Extract<Node, { type: 'block' }> = {
        type: 'block',
        helper: helper as 'if' | 'unless' | 'each',
        path,
        line,
        body: [],
        otherwise: [],
      };
      target().push(block);
      stack.push({ node: block, inElse: false });
      continue;
    }
    if (sigil === '/') {
      const open = stack.pop();
      if (!open) throw new TemplateError(`${name}:${line}: "{{/${body}}}" closes nothing`, name, line);
      if (open.node.helper !== body) {
        throw new TemplateError(`${name}:${line}: "{{/${body}}}" closes {{#${open.node.helper}}} opened on line ${open.node.line}`, name, line);
      }
      continue;
    }
    if (body === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.inElse) throw new TemplateError(`${name}:${line}: {{else}} outside a block`, name, line);
      top.inElse = true;
      continue;
    }
    usePath(body, line);
    target().push({ type: 'var', path: body, line });
  }
  if (last < source.length) target().push({ type: 'text', value: source.slice(last) });
  const unclosed = stack.pop();
  if (unclosed) {
    throw new TemplateError(`${name}:${unclosed.node.line}: {{#${unclosed.node.helper} ${unclosed.node.path}}} is never closed`, name, unclosed.node.line);
  }
  return {
    name,
    variables,
    render: (context, mode) => renderNodes(root, [context], mode),
  };
}

interface Scope {
  readonly [key: string]: unknown;
}

function lookup(scopes: readonly Scope[], path: string): unknown {
  const inner = scopes[scopes.length - 1] ?? {};
  if (path === '@index' || path === '@number') return inner[path];
  if (path === 'this' || path.startsWith('this.')) {
    const item = inner['this'];
    return path === 'this' ? item : dig(item, path.slice(5));
  }
  const [head = ''] = path.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    const item = scope['this'];
    if (item !== null && typeof item === 'object' && head in (item as object)) return dig(item, path);
    if (head in scope && head !== 'this') return dig(scope, path);
  }
  return undefined;
}

function dig(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const truthy = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : Boolean(v));

function renderNodes(nodes: readonly Node[], scopes: readonly Scope[], mode: OutputMode): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.value;
    else if (node.type === 'var') out += formatValue(lookup(scopes, node.path), mode);
    else {
      const value = lookup(scopes, node.path);
      if (node.helper === 'each') {
        const items = Array.isArray(value) ? value : [];
        if (items.length === 0) out += renderNodes(node.otherwise, scopes, mode);
        items.forEach((item, i) => {
          out += renderNodes(node.body, [...scopes, { this: item, '@index': i, '@number': i + 1 }], mode);
        });
      } else {
        const pass = node.helper === 'if' ? truthy(value) : !truthy(value);
        out += renderNodes(pass ? node.body : node.otherwise, scopes, mode);
      }
    }
  }
  return out;
}

function formatValue(value: unknown, mode: OutputMode): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else return '';
  if (mode === 'html') return escapeHtml(text);
  if (mode === 'header') return stripControl(text);
  return text;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** For header values (Subject, List-Unsubscribe): no CR/LF or other control characters, ever. */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}
