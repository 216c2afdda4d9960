import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of the README's architecture section, bottom to top. A file may import from its own
 * layer or any layer below, never above; the import graph has no loop; no source file is a hall.
 */
const LAYERS = ['kernel', 'models', 'functions', 'infra', 'application', 'scripts'] as const;
const MAX_LINES = 450;
const ROOT = resolve(import.meta.dirname, '../..');

interface SourceFile {
  readonly path: string;
  readonly layer: number;
  readonly lines: number;
  readonly imports: readonly string[];
  readonly packages: readonly string[];
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'public' ? [] : listSources(path);
    return /\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function readSource(path: string): SourceFile {
  const text = readFileSync(path, 'utf8');
  const layer = LAYERS.indexOf(relative(ROOT, path).split(sep)[0] as (typeof LAYERS)[number]);
  const imports: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? '';
    if (specifier.startsWith('.')) imports.push(resolve(dirname(path), specifier).replace(/\.js$/, '.ts'));
    else packages.push(specifier);
  }
  return { path, layer, lines: text.split('\n').length, imports, packages };
}

const sources = LAYERS.flatMap((layer) => listSources(join(ROOT, layer))).map(readSource);
const byPath = new Map(sources.map((s) => [s.path, s]));
const rel = (path: string): string => relative(ROOT, path);

function importLoops(): string[][] {
  // Tarjan's strongly connected components: every component larger than one file is a loop.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of byPath.get(v)?.imports ?? []) {
      if (!byPath.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1) loops.push(component.sort());
    }
  };
  for (const s of sources) if (!index.has(s.path)) visit(s.path);
  return loops;
}

describe('layers', () => {
  it('finds the source tree (the check reads real files)', () => {
    expect(sources.length).toBeGreaterThan(150);
    for (const layer of LAYERS) expect(sources.some((s) => rel(s.path).startsWith(`${layer}${sep}`)), layer).toBe(true);
  });

  it('imports only from the same layer or below', () => {
    const upward = sources.flatMap((s) =>
      s.imports
        .filter((target) => byPath.has(target) && byPath.get(target)!.layer > s.layer)
        .map((target) => `${rel(s.path)} -> ${rel(target)}`),
    );
    expect(upward).toEqual([]);
  });

  it('resolves every relative import to a file of the tree', () => {
    const dangling = sources.flatMap((s) =>
      s.imports.filter((t) => !byPath.has(t) && !/\.(json|mjs)$/.test(t)).map((t) => `${rel(s.path)} -> ${rel(t)}`),
    );
    expect(dangling).toEqual([]);
  });

  it('has no import loop', () => {
    expect(importLoops()).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const halls = sources.filter((s) => s.lines > MAX_LINES).map((s) => `${rel(s.path)}: ${s.lines}`);
    expect(halls).toEqual([]);
  });

  it('keeps the kernel and the models free of AWS clients', () => {
    const aws = sources
      .filter((s) => s.layer <= LAYERS.indexOf('models'))
      .flatMap((s) => s.packages.filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('aws-cdk')).map((p) => `${rel(s.path)}: ${p}`));
    expect(aws).toEqual([]);
  });

  it('reaches DynamoDB only through functions/store/ (and the client factory, the local emulator wiring, the benchmarks)', () => {
    const doors = new Set(['functions/commons/clients.ts', 'scripts/local/emulators.ts', 'scripts/local/stepfunctions.ts'].map((p) => p.split('/').join(sep)));
    // Benchmarks measure the table itself (a scan for personal data left after an erasure), not through the product's doors.
    const within = (s: SourceFile, dir: string): boolean => rel(s.path).startsWith(dir.split('/').join(sep));
    const outside = sources
      .filter((s) => !within(s, 'functions/store/') && !within(s, 'scripts/bench/') && !doors.has(rel(s.path)))
      .flatMap((s) => s.packages.filter((p) => p === '@aws-sdk/client-dynamodb' || p === '@aws-sdk/lib-dynamodb').map((p) => `${rel(s.path)}: ${p}`));
    expect(outside).toEqual([]);
  });
});
