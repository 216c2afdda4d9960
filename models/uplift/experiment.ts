/**
 * A randomized experiment exported as CSV (one row per customer): a column naming the arm, an
 * outcome column (0/1 or an amount), and feature columns, numeric or categorical. This module
 * turns it into numbers an uplift model can train on: treatment flags, outcomes, and a feature
 * matrix with categorical columns one-hot encoded and numeric ones standardised. The encoder is
 * plain data, so a stored model re-encodes new rows exactly as it was trained.
 */
import { WinbackError } from '../../kernel/errors.js';
import { parseCsv } from '../data/csv.js';
import { createRng, permutation, subSeed } from '../random.js';

export class ExperimentDataError extends WinbackError {}

export interface ExperimentSpec {
  readonly treatmentColumn: string;
  /** The arm value of treated rows (e.g. "Womens E-Mail"). */
  readonly treatment: string;
  /** The arm value of control rows (e.g. "No E-Mail"). Rows of any other arm are left out. */
  readonly control: string;
  readonly outcome: string;
  /** Columns that are neither features nor the outcome (ids, other outcomes that would leak). */
  readonly ignore?: readonly string[];
}

export type EncodedColumn =
  | { readonly name: string; readonly kind: 'numeric'; readonly mean: number; readonly sd: number }
  | { readonly name: string; readonly kind: 'categorical'; readonly levels: readonly string[] };

/** Categorical columns keep their most frequent levels; the rest share an all-zero encoding. */
export const MAX_LEVELS = 50;

export interface FeatureEncoder {
  readonly columns: readonly EncodedColumn[];
  /** Names of the encoded inputs: `col` for numeric, `col=level` for one-hot. */
  readonly inputs: readonly string[];
}

export interface ExperimentData {
  readonly spec: ExperimentSpec;
  /** Rows of either arm (others are counted in `otherArmRows`). */
  readonly n: number;
  readonly t: number[];
  readonly y: number[];
  /** Raw feature values per row, by column name (what the encoder reads). */
  readonly raw: Array<Record<string, string>>;
  readonly encoder: FeatureEncoder;
  readonly x: number[][];
  /** Whether every outcome is 0 or 1 (a conversion) rather than an amount. */
  readonly binary: boolean;
  readonly otherArmRows: number;
}

const isNumber = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));

/** Parses and encodes the CSV text; throws ExperimentDataError naming the problem. */
export function readExperiment(text: string, spec: ExperimentSpec): ExperimentData {
  const records = parseCsv(text);
  if (records.length < 2) throw new ExperimentDataError('the CSV has no data rows');
  // A byte-order mark (spreadsheet exports) would otherwise become part of the first column's name.
  const header = records[0]!.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const col = (name: string, what: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new ExperimentDataError(`${what} column '${name}' is not in the header (${header.join(', ')})`);
    return i;
  };
  const ti = col(spec.treatmentColumn, 'treatment');
  const yi = col(spec.outcome, 'outcome');
  for (const name of spec.ignore ?? []) col(name, 'ignored');
  if (spec.treatment === spec.control) throw new ExperimentDataError('--treatment and --control name the same arm');
  const skip = new Set([spec.treatmentColumn, spec.outcome, ...(spec.ignore ?? [])]);
  const featureIdx = header.map((h, i) => ({ h, i })).filter(({ h }) => !skip.has(h));

  const t: number[] = [];
  const y: number[] = [];
  const raw: Array<Record<string, string>> = [];
  let otherArmRows = 0;
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.length !== header.length) throw new ExperimentDataError(`row ${r + 1} has ${rec.length} fields, the header ${header.length}`);
    const arm = rec[ti]!.trim();
    if (arm !== spec.treatment && arm !== spec.control) {
      otherArmRows++;
      continue;
    }
    const outcome = rec[yi]!.trim();
    if (!isNumber(outcome)) throw new ExperimentDataError(`row ${r + 1}: outcome '${spec.outcome}' is not a number ('${outcome}')`);
    t.push(arm === spec.treatment ? 1 : 0);
    y.push(Number(outcome));
    const values: Record<string, string> = {};
    for (const { h, i } of featureIdx) values[h] = rec[i]!.trim();
    raw.push(values);
  }
  const treated = t.reduce((s, v) => s + v, 0);
  if (treated === 0) throw new ExperimentDataError(`no row has ${spec.treatmentColumn} = '${spec.treatment}'`);
  if (treated === t.length) throw new ExperimentDataError(`no row has ${spec.treatmentColumn} = '${spec.control}'`);
  const encoder = fitEncoder(featureIdx.map(({ h }) => h), raw);
  return {
    spec,
    n: t.length,
    t,
    y,
    raw,
    encoder,
    x: raw.map((row) => encodeRow(encoder, row)),
    binary: y.every((v) => v === 0 || v === 1),
    otherArmRows,
  };
}

/** Numeric when every non-empty value is a number; categorical otherwise. */
export function fitEncoder(names: readonly string[], rows: ReadonlyArray<Record<string, string>>): FeatureEncoder {
  const columns: EncodedColumn[] = [];
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? '');
    const present = values.filter((v) => v !== '');
    if (present.length > 0 && present.every(isNumber)) {
      const nums = present.map(Number);
      const mean = nums.reduce((s, v) => s + v, 0) / nums.length;
      const sd = Math.sqrt(nums.reduce((s, v) => s + (v - mean) ** 2, 0) / nums.length);
      columns.push({ name, kind: 'numeric', mean, sd: sd > 0 ? sd : 1 });
    } else {
      const counts = new Map<string, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      const levels = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_LEVELS).map(([v]) => v);
      if (levels.length < 2) continue; // a constant column carries no information
      columns.push({ name, kind: 'categorical', levels: levels.sort() });
    }
  }
  if (columns.length === 0) throw new ExperimentDataError('no feature columns left (every other column is the arm, the outcome, ignored or constant)');
  const inputs = columns.flatMap((c) => (c.kind === 'numeric' ? [c.name] : c.levels.map((l) => `${c.name}=${l}`)));
  return { columns, inputs };
}

/** One row's inputs; a missing numeric value is the training mean (0 after standardising), an unseen level all zeros. */
export function encodeRow(encoder: FeatureEncoder, row: Record<string, string>): number[] {
  const out: number[] = [];
  for (const c of encoder.columns) {
    const v = row[c.name] ?? '';
    if (c.kind === 'numeric') out.push(isNumber(v) ? (Number(v) - c.mean) / c.sd : 0);
    else for (const level of c.levels) out.push(v === level ? 1 : 0);
  }
  return out;
}

export interface Split {
  readonly train: number[];
  readonly holdout: number[];
}

/** A seeded split stratified by arm: `holdoutFraction` of the treated and of the controls. */
export function splitByArm(t: readonly number[], holdoutFraction: number, seed: number): Split {
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) throw new ExperimentDataError(`holdout fraction must be in (0, 1), got ${holdoutFraction}`);
  const train: number[] = [];
  const holdout: number[] = [];
  for (const arm of [1, 0]) {
    const rows = t.flatMap((v, i) => (v === arm ? [i] : []));
    const order = permutation(rows.length, createRng(subSeed(seed, 10 + arm)));
    const cut = Math.round(rows.length * holdoutFraction);
    order.forEach((k, j) => (j < cut ? holdout : train).push(rows[k]!));
  }
  return { train: train.sort((a, b) => a - b), holdout: holdout.sort((a, b) => a - b) };
}
