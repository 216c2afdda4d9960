import { z } from 'zod';
import { encodeRow } from '../uplift/experiment.js';
import { holdoutEvaluation, type EvaluatedModel } from '../uplift/evaluate.js';
import type { ExperimentData } from '../uplift/experiment.js';
import { predictUplift, type UpliftModel } from '../uplift/learners.js';
import { RegistryFormatError, VersionNotFoundError } from './errors.js';
import type { ModelRegistry, RegistrationResult } from './registry.js';
import type { VersionEntry } from './schema.js';
import { contentHash, modelOfVersion, versionId } from './version-id.js';

/**
 * Uplift models in the registry: `uplift/<version>/uplift.json` holds everything needed to
 * score new rows (the experiment's column roles, the feature encoder, the networks' weights)
 * and the version's evaluation (holdout figures and downsampled Qini / uplift curves).
 *
 * Champion / challenger as for churn: the champion is re-scored on the candidate's holdout rows
 * (re-encoded with the champion's own encoder) and the candidate is promoted only if its Qini
 * coefficient there is strictly higher; a champion that cannot be scored on them (another
 * outcome, no common features) cannot defend its title.
 */
export const UPLIFT_FILE = 'uplift.json';

const Point = z.object({ n: z.number(), value: z.number() });
const Holdout = z.object({
  n: z.number().int(),
  ate: z.number(),
  upliftAtK: z.object({ '0.1': z.number(), '0.2': z.number(), '0.3': z.number(), '0.5': z.number() }),
  qini: z.number(),
  upliftAuc: z.number(),
});
const Net = z.object({
  loss: z.enum(['logistic', 'squared']),
  hiddenUnits: z.array(z.number().int().positive()),
  inputDim: z.number().int().positive(),
  scale: z.number().positive(),
  weights: z.array(z.object({ shape: z.array(z.number().int()), values: z.array(z.number()) })),
});
const Column = z.union([
  z.object({ name: z.string(), kind: z.literal('numeric'), mean: z.number(), sd: z.number() }),
  z.object({ name: z.string(), kind: z.literal('categorical'), levels: z.array(z.string()) }),
]);

export const UpliftModelRecord = z.object({
  schemaVersion: z.literal(1),
  kind: z.enum(['two-model', 'class-transformation', 'transformed-outcome']),
  experiment: z.object({
    source: z.string(),
    treatmentColumn: z.string(),
    treatment: z.string(),
    control: z.string(),
    outcome: z.string(),
    outcomeType: z.enum(['binary', 'amount']),
    rows: z.number().int(),
  }),
  encoder: z.object({ columns: z.array(Column), inputs: z.array(z.string()) }),
  model: z.object({ kind: z.enum(['two-model', 'class-transformation', 'transformed-outcome']), nets: z.array(Net), treatedShare: z.number() }),
  evaluation: z.object({
    holdoutFraction: z.number(),
    seed: z.number().int(),
    selectionQini: z.number(),
    holdout: Holdout,
    curves: z.object({ qini: z.array(Point), perfectQini: z.array(Point), uplift: z.array(Point) }),
  }),
  dataHash: z.string(),
});
export type UpliftModelRecord = z.infer<typeof UpliftModelRecord>;

/** The record of one evaluated model, checked against its schema (a record the registry could not read back is refused here). */
export function upliftRecordOf(input: {
  readonly evaluated: EvaluatedModel;
  readonly data: ExperimentData;
  readonly source: string;
  readonly holdoutFraction: number;
  readonly seed: number;
  readonly dataHash: string;
}): UpliftModelRecord {
  const { evaluated: m, data } = input;
  const { ignore: _ignore, ...roles } = data.spec;
  const parsed = UpliftModelRecord.safeParse({
    schemaVersion: 1,
    kind: m.kind,
    experiment: { source: input.source, ...roles, outcomeType: data.binary ? 'binary' : 'amount', rows: data.n },
    encoder: data.encoder,
    model: m.model,
    evaluation: { holdoutFraction: input.holdoutFraction, seed: input.seed, selectionQini: m.selectionQini, holdout: m.holdout, curves: m.curves },
    dataHash: input.dataHash,
  });
  if (!parsed.success) throw new RegistryFormatError(`uplift record does not match its schema: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The holdout rows both candidate and champion are judged on, raw so that each encodes them its own way. */
export interface UpliftHoldout {
  readonly raw: ReadonlyArray<Record<string, string>>;
  readonly t: readonly number[];
  readonly y: readonly number[];
  readonly outcome: string;
}

const utf8 = new TextDecoder();

export async function loadUplift(registry: ModelRegistry, version: string): Promise<UpliftModelRecord> {
  if (modelOfVersion(version) !== 'uplift') throw new VersionNotFoundError(`${version} is not an uplift version`);
  const key = `uplift/${version}/${UPLIFT_FILE}`;
  const bytes = await registry.store.read(key);
  if (!bytes) throw new VersionNotFoundError(`${key} is missing from ${registry.store.uri}`);
  const parsed = UpliftModelRecord.safeParse(JSON.parse(utf8.decode(bytes)));
  if (!parsed.success) throw new RegistryFormatError(`${key}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Predicted uplift of a stored model for raw rows (column name -> value). */
export function scoreUplift(record: UpliftModelRecord, raw: ReadonlyArray<Record<string, string>>): number[] {
  return predictUplift(record.model as UpliftModel, raw.map((r) => encodeRow(record.encoder, r)));
}

export async function registerUplift(
  registry: ModelRegistry,
  input: { readonly record: UpliftModelRecord; readonly holdout: UpliftHoldout; readonly createdAt: Date },
): Promise<RegistrationResult & { readonly qini: number; readonly championQini?: number }> {
  const body = JSON.stringify(input.record);
  const version = versionId('uplift', input.createdAt, contentHash([body]));
  const index = await registry.readIndex('uplift');
  const existing = index.versions.find((v) => v.version === version);
  const qini = input.record.evaluation.holdout.qini;
  if (existing) return { ...registry.alreadyRegistered(index, existing), qini };
  await registry.store.write(`uplift/${version}/${UPLIFT_FILE}`, body);

  let championQini: number | undefined;
  let comparison: { version: string; qini?: number; error?: string } | undefined;
  if (index.champion) {
    try {
      const champion = await loadUplift(registry, index.champion);
      if (champion.experiment.outcome !== input.holdout.outcome) {
        throw new RegistryFormatError(`it predicts '${champion.experiment.outcome}', not '${input.holdout.outcome}'`);
      }
      const shared = champion.encoder.columns.filter((c) => c.name in (input.holdout.raw[0] ?? {}));
      if (shared.length === 0) throw new RegistryFormatError('none of its feature columns is in the new experiment');
      championQini = holdoutEvaluation(input.holdout.y, input.holdout.t, scoreUplift(champion, input.holdout.raw)).qini;
      comparison = { version: index.champion, qini: championQini };
    } catch (err) {
      comparison = { version: index.champion, error: err instanceof Error ? err.message : String(err) };
    }
  }
  const f4 = (x: number): string => x.toFixed(4);
  const where = `holdout of ${input.record.experiment.source} (${input.holdout.y.length} rows)`;
  let promote = true;
  let reason = `first uplift model: no champion yet (Qini ${f4(qini)} on ${where})`;
  if (comparison?.error !== undefined) reason = `champion ${comparison.version} cannot be evaluated on the new holdout (${comparison.error})`;
  else if (comparison?.qini !== undefined) {
    promote = qini > comparison.qini;
    reason = promote
      ? `Qini ${f4(qini)} beats champion ${comparison.version} (${f4(comparison.qini)}) on ${where}`
      : `Qini ${f4(qini)} ${qini === comparison.qini ? 'ties' : 'is below'} champion ${comparison.version} (${f4(comparison.qini)}) on ${where}; ties keep the champion`;
  }
  const h = input.record.evaluation.holdout;
  const entry: VersionEntry = {
    version,
    model: 'uplift',
    createdAt: input.createdAt.toISOString(),
    status: promote ? 'champion' : 'challenger',
    reason,
    featureVersion: `uplift-${input.record.kind}`,
    dataHash: input.record.dataHash,
    metrics: {
      n: h.n,
      ate: h.ate,
      qini: h.qini,
      upliftAuc: h.upliftAuc,
      upliftAt10: h.upliftAtK['0.1'],
      upliftAt20: h.upliftAtK['0.2'],
      upliftAt30: h.upliftAtK['0.3'],
      upliftAt50: h.upliftAtK['0.5'],
    },
    ...(comparison
      ? { comparedWith: comparison.error !== undefined ? { version: comparison.version, error: comparison.error } : { version: comparison.version, qini: comparison.qini! } }
      : {}),
  };
  const next = registry.applyDecision(index, entry, promote, input.createdAt);
  await registry.writeIndex(next);
  return {
    model: 'uplift',
    version,
    decision: promote ? 'promoted' : 'challenger',
    reason,
    champion: next.champion,
    qini,
    ...(championQini !== undefined ? { championQini } : {}),
  };
}
