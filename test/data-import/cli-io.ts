import { runCli } from '../../scripts/cli/main.js';

/** Runs a `winback` command in process, capturing what it prints. */
export async function winback(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** `winback <argv> --json`, parsed. */
export async function winbackJson<T>(...argv: string[]): Promise<T> {
  const r = await winback(...argv, '--json');
  if (r.code !== 0) throw new Error(`winback ${argv.join(' ')} exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as T;
}

export interface Counts {
  readonly total: number;
  readonly byKind: Record<string, number>;
  readonly customers: number;
}
