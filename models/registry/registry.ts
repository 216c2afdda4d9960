import { disposeModel, predictProba, type TrainedModel } from '../churn-model.js';
import { binaryMetrics, type Metrics } from '../evaluate.js';
import type { LabelledRow, Target } from '../labels.js';
import { deserializeModel, METADATA_FILE, MODEL_FILE, serializeModel, WEIGHTS_FILE, type LoadedModel, type ModelProvenance } from '../model-io.js';
import { decidePromotion, type ChampionEvaluation } from './champion.js';
import { NoChampionError, NothingToRollBackError, RegistryFormatError, VersionNotFoundError } from './errors.js';
import type { ModelStore } from './model-store.js';
import { buildEvaluation, scoreHoldout, type BaselinesInput } from './evaluation.js';
import { ClvModel, emptyIndex, MODEL_NAMES, ModelEvaluation, RegistryIndex, type ModelName, type VersionEntry } from './schema.js';
import { contentHash, modelOfVersion, versionId } from './version-id.js';

/**
 * The model registry over a ModelStore. Layout (the same in a directory and in S3):
 *
 *   <model>/registry.json                index: champion, champion stack, versions, history
 *   <model>/<version>/model.json         TF.js layers topology + weights manifest (churn, propensity)
 *   <model>/<version>/weights.bin        TF.js weights
 *   <model>/<version>/metadata.json      features + version, normalisation, calibration, training
 *                                        window, data hash, holdout metrics, backend
 *   <model>/<version>/evaluation.json    the holdout report: metrics, baselines, ROC and PR curves,
 *                                        calibration, lift, feature importance (schema ModelEvaluation)
 *   clv/<version>/clv.json               BG/NBD + Gamma-Gamma parameters, CLV settings, tier thresholds
 *
 * A version's files are written before the index names it, so the index never points at a
 * half-written version. Registrations are serialised by the caller (one training job at a time):
 * the index is read-modify-write without a lock.
 */

export const CLV_FILE = 'clv.json';
export const EVALUATION_FILE = 'evaluation.json';
const INDEX_FILE = 'registry.json';

export interface RegistrationResult {
  readonly model: ModelName;
  readonly version: string;
  readonly decision: 'promoted' | 'challenger';
  readonly reason: string;
  /** The champion after this registration. */
  readonly champion: string | null;
  /** The candidate on the holdout (TF.js models). */
  readonly metrics?: Metrics;
  /** The previous champion on the same holdout, when there was one it could be scored. */
  readonly championMetrics?: Metrics;
}

export interface RegisterTrainedInput {
  readonly model: TrainedModel;
  readonly provenance: ModelProvenance;
  /** The run's holdout rows: the candidate and the champion are both measured on them. */
  readonly holdout: readonly LabelledRow[];
  readonly createdAt: Date;
  /**
   * The baselines' metrics on the same holdout (runExperiment's `baselines`), kept in the
   * version's evaluation report; without them the report has an empty baseline list.
   */
  readonly baselines?: BaselinesInput;
}

const utf8 = new TextDecoder();
const numbersOf = (m: object): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));

/** The report as it will be read back: a report the console could not read is a bug, caught before anything is written. */
function checkedEvaluation(evaluation: ModelEvaluation): ModelEvaluation {
  const parsed = ModelEvaluation.safeParse(evaluation);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new RegistryFormatError(`evaluation of ${evaluation.version} does not match its schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
}

export class ModelRegistry {
  constructor(readonly store: ModelStore) {}

  async readIndex(model: ModelName): Promise<RegistryIndex> {
    const bytes = await this.store.read(`${model}/${INDEX_FILE}`);
    if (!bytes) return emptyIndex(model);
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(bytes));
    } catch (err) {
      throw new RegistryFormatError(`${model}/${INDEX_FILE} in ${this.store.uri} is not JSON`, { cause: err });
    }
    const parsed = RegistryIndex.safeParse(json);
    if (!parsed.success) throw new RegistryFormatError(`${model}/${INDEX_FILE} in ${this.store.uri}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** Public for the registrations kept in their own modules (uplift-model.ts); callers serialise registrations. */
  async writeIndex(index: RegistryIndex): Promise<void> {
    await this.store.write(`${index.model}/${INDEX_FILE}`, JSON.stringify(index, null, 2));
  }

  /** Every model's index (churn, propensity, clv). */
  async list(): Promise<RegistryIndex[]> {
    return Promise.all(MODEL_NAMES.map((m) => this.readIndex(m)));
  }

  async champion(model: ModelName): Promise<string> {
    const index = await this.readIndex(model);
    if (!index.champion) throw new NoChampionError(`no ${model} champion in ${this.store.uri}: run \`winback train\` first`);
    return index.champion;
  }

  private async readFile(key: string): Promise<Uint8Array> {
    const bytes = await this.store.read(key);
    if (!bytes) throw new VersionNotFoundError(`${key} is missing from ${this.store.uri}`);
    return bytes;
  }

  /** A churn / propensity version, ready to predict. */
  async loadTrained(version: string): Promise<LoadedModel> {
    const model = modelOfVersion(version);
    if (model === 'clv' || model === 'uplift') throw new VersionNotFoundError(`${version} is a ${model} model, not a churn or propensity one`);
    const dir = `${model}/${version}`;
    const [modelJson, weights, metadata] = await Promise.all([
      this.readFile(`${dir}/${MODEL_FILE}`),
      this.readFile(`${dir}/${WEIGHTS_FILE}`),
      this.readFile(`${dir}/${METADATA_FILE}`),
    ]);
    return deserializeModel({ [MODEL_FILE]: utf8.decode(modelJson), [WEIGHTS_FILE]: weights, [METADATA_FILE]: utf8.decode(metadata) });
  }

  async loadClv(version: string): Promise<ClvModel> {
    if (modelOfVersion(version) !== 'clv') throw new VersionNotFoundError(`${version} is not a CLV version`);
    const bytes = await this.readFile(`clv/${version}/${CLV_FILE}`);
    const parsed = ClvModel.safeParse(JSON.parse(utf8.decode(bytes)));
    if (!parsed.success) throw new RegistryFormatError(`clv/${version}/${CLV_FILE}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /**
   * A churn / propensity version's evaluation report, or null when it has none: CLV versions
   * (no labels to evaluate on) and versions registered before reports were kept. Whether the
   * version is registered at all is the index's business (readIndex); this only reads its file.
   */
  async readEvaluation(version: string): Promise<ModelEvaluation | null> {
    const model = modelOfVersion(version);
    if (model === 'clv' || model === 'uplift') return null;
    const key = `${model}/${version}/${EVALUATION_FILE}`;
    const bytes = await this.store.read(key);
    if (!bytes) return null;
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(bytes));
    } catch (err) {
      throw new RegistryFormatError(`${key} in ${this.store.uri} is not JSON`, { cause: err });
    }
    const parsed = ModelEvaluation.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RegistryFormatError(`${key} in ${this.store.uri}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    if (parsed.data.version !== version) throw new RegistryFormatError(`${key} in ${this.store.uri} describes ${parsed.data.version}`);
    return parsed.data;
  }

  /**
   * Stores a trained churn or propensity model and decides champion / challenger: the champion
   * is reloaded and scored on this run's holdout rows, and the new model is promoted only if its
   * ROC-AUC there is strictly higher. The version's files, its evaluation report included, are
   * all written before the index names it; they are a function of the inputs (the report's
   * permutation importance is seeded with the training seed), so a retried registration rewrites
   * the same bytes.
   */
  async registerTrained(input: RegisterTrainedInput): Promise<RegistrationResult> {
    const target: Target = input.model.target;
    const files = await serializeModel(input.model, input.provenance);
    const version = versionId(target, input.createdAt, contentHash([files[MODEL_FILE], files[WEIGHTS_FILE], files[METADATA_FILE]]));
    const index = await this.readIndex(target);
    const existing = index.versions.find((v) => v.version === version);
    if (existing) return this.alreadyRegistered(index, existing);

    const scores = scoreHoldout(input.model, input.holdout);
    const { labels, metrics } = scores;
    const features = input.holdout.map((r) => r.features);
    const evaluation = checkedEvaluation(
      buildEvaluation({
        version,
        target,
        createdAt: input.createdAt,
        evalCutoff: input.provenance.evalCutoff,
        horizonDays: input.provenance.horizonDays,
        model: input.model,
        holdout: input.holdout,
        scores,
        seed: input.provenance.seed,
        ...(input.baselines ? { baselines: input.baselines } : {}),
      }),
    );

    const dir = `${target}/${version}`;
    await this.store.write(`${dir}/${MODEL_FILE}`, files[MODEL_FILE]);
    await this.store.write(`${dir}/${WEIGHTS_FILE}`, files[WEIGHTS_FILE]);
    await this.store.write(`${dir}/${METADATA_FILE}`, files[METADATA_FILE]);
    await this.store.write(`${dir}/${EVALUATION_FILE}`, JSON.stringify(evaluation, null, 2));

    let championMetrics: Metrics | undefined;
    let comparison: ChampionEvaluation | undefined;
    if (index.champion) {
      try {
        const champion = await this.loadTrained(index.champion);
        try {
          championMetrics = binaryMetrics(labels, predictProba(champion.model, features));
          comparison = { version: index.champion, rocAuc: championMetrics.rocAuc };
        } finally {
          disposeModel(champion.model);
        }
      } catch (err) {
        comparison = { version: index.champion, error: err instanceof Error ? err.message : String(err) };
      }
    }
    const holdoutText = `holdout ${input.provenance.evalCutoff.slice(0, 10)} + ${input.provenance.horizonDays} d (${labels.length} customers)`;
    const decision = decidePromotion({ rocAuc: metrics.rocAuc, holdout: holdoutText }, comparison);
    const entry: VersionEntry = {
      version,
      model: target,
      createdAt: input.createdAt.toISOString(),
      status: decision.promote ? 'champion' : 'challenger',
      reason: decision.reason,
      featureVersion: input.model.featureVersion,
      dataHash: input.model.dataHash,
      backend: input.provenance.backend,
      trainingWindow: { ...input.provenance.trainingWindow },
      evalCutoff: input.provenance.evalCutoff,
      horizonDays: input.provenance.horizonDays,
      metrics: numbersOf(metrics),
      ...(comparison ? { comparedWith: 'error' in comparison ? comparison : { version: comparison.version, rocAuc: comparison.rocAuc } } : {}),
    };
    const next = this.applyDecision(index, entry, decision.promote, input.createdAt);
    await this.writeIndex(next);
    return {
      model: target,
      version,
      decision: decision.promote ? 'promoted' : 'challenger',
      reason: decision.reason,
      champion: next.champion,
      metrics,
      ...(championMetrics ? { championMetrics } : {}),
    };
  }

  /**
   * Stores a CLV fit. CLV is unsupervised (no holdout labels to compare on), so a new fit on
   * newer data replaces the champion, except that a fit still degenerate after regularisation
   * does not replace a healthy champion.
   */
  async registerClv(input: { readonly clv: ClvModel; readonly createdAt: Date }): Promise<RegistrationResult> {
    const body = JSON.stringify(input.clv, null, 2);
    const hash = contentHash([body]);
    const version = versionId('clv', input.createdAt, hash);
    const index = await this.readIndex('clv');
    // The same fit (same data, same parameters) registered at another time is the same version:
    // a scheduled refit on unchanged data must not pile up identical versions.
    const existing = index.versions.find((v) => v.version === version || (v.version.endsWith(`-${hash.slice(0, 6)}`) && v.dataHash === input.clv.dataHash));
    if (existing) return this.alreadyRegistered(index, existing);
    await this.store.write(`clv/${version}/${CLV_FILE}`, body);

    const stillDegenerate = input.clv.bgnbd.degenerate && input.clv.bgnbd.b / input.clv.bgnbd.a > 1e4;
    let promote = true;
    let reason = index.champion ? `CLV refit as of ${input.clv.asOf.slice(0, 10)} replaces ${index.champion}` : 'first CLV model: no champion yet';
    if (stillDegenerate && index.champion) {
      const champion = await this.loadClv(index.champion);
      if (!(champion.bgnbd.degenerate && champion.bgnbd.b / champion.bgnbd.a > 1e4)) {
        promote = false;
        reason = `BG/NBD fit is still degenerate after regularisation; champion ${index.champion} is not`;
      }
    }
    if (input.clv.bgnbd.degenerate && promote) reason += ' (BG/NBD degenerate: regularised refit, see warnings)';
    const entry: VersionEntry = {
      version,
      model: 'clv',
      createdAt: input.createdAt.toISOString(),
      status: promote ? 'champion' : 'challenger',
      reason,
      dataHash: input.clv.dataHash,
      evalCutoff: input.clv.asOf,
      metrics: {
        customers: input.clv.customers,
        bgnbdLogLikelihood: input.clv.bgnbd.logLikelihood,
        r: input.clv.bgnbd.r,
        alpha: input.clv.bgnbd.alpha,
        a: input.clv.bgnbd.a,
        b: input.clv.bgnbd.b,
        degenerate: input.clv.bgnbd.degenerate ? 1 : 0,
        p: input.clv.gammaGamma.p,
        q: input.clv.gammaGamma.q,
        gamma: input.clv.gammaGamma.gamma,
      },
    };
    const next = this.applyDecision(index, entry, promote, input.createdAt);
    await this.writeIndex(next);
    return { model: 'clv', version, decision: promote ? 'promoted' : 'challenger', reason, champion: next.champion };
  }

  alreadyRegistered(index: RegistryIndex, entry: VersionEntry): RegistrationResult {
    return {
      model: index.model,
      version: entry.version,
      decision: entry.status === 'challenger' ? 'challenger' : 'promoted',
      reason: `already registered: ${entry.reason}`,
      champion: index.champion,
    };
  }

  applyDecision(index: RegistryIndex, entry: VersionEntry, promote: boolean, at: Date): RegistryIndex {
    const previous = index.champion;
    const versions = index.versions.map((v) =>
      promote && v.version === previous ? { ...v, status: 'retired' as const, reason: `replaced by ${entry.version}` } : v,
    );
    return {
      ...index,
      champion: promote ? entry.version : previous,
      championStack: promote ? [...index.championStack, entry.version] : index.championStack,
      versions: [...versions, entry],
      history: [
        ...index.history,
        { at: at.toISOString(), action: promote ? 'promoted' : 'kept-challenger', version: entry.version, previousChampion: previous, reason: entry.reason },
      ],
    };
  }

  /** Makes a registered version the champion by hand (a data scientist's call, with a reason). */
  async promote(version: string, reason: string, at: Date): Promise<RegistryIndex> {
    const model = modelOfVersion(version);
    const index = await this.readIndex(model);
    const entry = index.versions.find((v) => v.version === version);
    if (!entry) throw new VersionNotFoundError(`${version} is not registered in ${this.store.uri}`);
    if (index.champion === version) throw new VersionNotFoundError(`${version} is already the ${model} champion`);
    const previous = index.champion;
    const text = `manual promotion: ${reason}`;
    const next: RegistryIndex = {
      ...index,
      champion: version,
      championStack: [...index.championStack, version],
      versions: index.versions.map((v) => {
        if (v.version === version) return { ...v, status: 'champion' as const, reason: text };
        if (v.version === previous) return { ...v, status: 'retired' as const, reason: `replaced by ${version} (manual)` };
        return v;
      }),
      history: [...index.history, { at: at.toISOString(), action: 'manual-promote', version, previousChampion: previous, reason: text }],
    };
    await this.writeIndex(next);
    return next;
  }

  /** Goes back to the champion before the current one; repeated rollbacks keep going back. */
  async rollback(model: ModelName, reason: string, at: Date): Promise<{ from: string; to: string; index: RegistryIndex }> {
    const index = await this.readIndex(model);
    const from = index.champion;
    if (!from) throw new NoChampionError(`no ${model} champion to roll back`);
    const stack = [...index.championStack];
    while (stack.length > 0 && stack[stack.length - 1] === from) stack.pop();
    const to = stack[stack.length - 1];
    if (!to) throw new NothingToRollBackError(`${from} is the only ${model} champion there has been: nothing to roll back to`);
    const text = `rollback: ${reason}`;
    const next: RegistryIndex = {
      ...index,
      champion: to,
      championStack: stack,
      versions: index.versions.map((v) => {
        if (v.version === from) return { ...v, status: 'rolled-back' as const, reason: text };
        if (v.version === to) return { ...v, status: 'champion' as const, reason: `restored by rollback from ${from}` };
        return v;
      }),
      history: [...index.history, { at: at.toISOString(), action: 'rollback', version: to, previousChampion: from, reason: text }],
    };
    await this.writeIndex(next);
    return { from, to, index: next };
  }
}
