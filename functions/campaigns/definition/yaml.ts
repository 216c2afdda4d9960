import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode, type Document } from 'yaml';
import { formatPath } from '../../events/validation.js';
import type { CampaignIssue } from '../errors.js';
import { CampaignDefinition } from './schema.js';

/** A campaign text read and checked: the campaign when valid, every problem found otherwise. */
export interface CampaignFileResult {
  readonly file: string;
  readonly campaign?: CampaignDefinition;
  /** Empty when the file is valid. */
  readonly errors: readonly CampaignIssue[];
}

/** Where in the YAML a path points: the deepest node that exists along it. */
function locate(
  doc: Document,
  lines: LineCounter,
  pathParts: ReadonlyArray<PropertyKey>,
  atKey = false,
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let found: YamlNode | undefined = doc.contents ?? undefined;
  for (const [i, part] of pathParts.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      found = ((atKey && i === pathParts.length - 1) || !pair.value ? pair.key : pair.value) as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as YamlNode | undefined;
      if (!item) break;
      found = item;
      node = item;
    } else break;
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Parses and checks one campaign text (no file system access except nothing): syntax and schema. */
export function parseCampaignText(text: string, file: string): CampaignFileResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      file,
      errors: doc.errors.map((e) => ({
        file,
        path: '(yaml)',
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
        ...(() => {
          const pos = lines.linePos(e.pos[0]);
          return { line: pos.line, column: pos.col };
        })(),
      })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { file, errors: [{ file, path: '(file)', message: 'a campaign file must be a YAML mapping (id: ..., name: ..., ...)' }] };
  }
  const parsed = CampaignDefinition.safeParse(raw);
  if (!parsed.success) {
    return {
      file,
      errors: parsed.error.issues.flatMap((i) => {
        // One issue per unknown key, at the key itself: `steps[2].wiat`.
        const unknownKeys = i.code === 'unrecognized_keys';
        const entries: Array<{ at: PropertyKey[]; message: string }> = unknownKeys
          ? i.keys.map((k) => ({ at: [...i.path, k], message: `unknown field ${JSON.stringify(k)}` }))
          : [{ at: [...i.path], message: i.message }];
        return entries.map(({ at, message }) => ({ file, path: formatPath(at), message, ...(locate(doc, lines, at, unknownKeys) ?? {}) }));
      }),
    };
  }
  return { file, campaign: parsed.data, errors: [] };
}
