import { VersionNotFoundError } from '../models/registry/errors.js';
import { localRegistryUri } from '../models/registry/open-store.js';
import type { ModelRegistry } from '../models/registry/registry.js';
import type { ModelEvaluation, RegistryIndex, VersionEntry } from '../models/registry/schema.js';
import { modelOfVersion } from '../models/registry/version-id.js';
import { loadUplift, type UpliftModelRecord } from '../models/registry/uplift-model.js';
import { openRegistry } from '../functions/jobs/model-registry.js';

/**
 * The model registry as people look at it, with one JSON shape for the CLI and the console:
 * `winback model list --json` ({ registry, models }) and `winback model show <version> --json`
 * ({ entry, evaluation }). The registry is MODEL_REGISTRY_URI when set (e.g. s3://... to inspect
 * the AWS one), else `<dataDir>/models`.
 */
export function registryUriFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['MODEL_REGISTRY_URI'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : localRegistryUri(dataDir);
}

/** The registry of a data dir (or MODEL_REGISTRY_URI): what `winback train`, `score` and the console use. */
export const openRegistryFor = (dataDir: string): Promise<ModelRegistry> => openRegistry(registryUriFor(dataDir));

export interface ModelList {
  readonly registry: string;
  readonly models: RegistryIndex[];
}

/** Every model's index, as `winback model list --json` prints it (without --model). */
export async function modelList(registry: ModelRegistry): Promise<ModelList> {
  return { registry: registry.store.uri, models: await registry.list() };
}

/** What `model show --json` prints: the objects a console shows for one version. */
export interface ModelShowJson {
  readonly entry: VersionEntry;
  /** Null for CLV and uplift versions and for versions registered before evaluation reports were kept. */
  readonly evaluation: ModelEvaluation | null;
  /** Uplift versions: what they learnt from, their network shape and held-out Qini / uplift curves (not the weights). */
  readonly uplift?: {
    readonly kind: UpliftModelRecord['kind'];
    readonly experiment: UpliftModelRecord['experiment'];
    readonly hiddenUnits: readonly number[];
    readonly evaluation: UpliftModelRecord['evaluation'];
  };
}

export async function showVersion(registry: ModelRegistry, version: string): Promise<ModelShowJson> {
  const index = await registry.readIndex(modelOfVersion(version));
  const entry = index.versions.find((v) => v.version === version);
  if (!entry) throw new VersionNotFoundError(`${version} is not registered in ${registry.store.uri} (see winback model list)`);
  if (entry.model === 'uplift') {
    const record = await loadUplift(registry, version);
    const hiddenUnits = (record.model as { nets?: Array<{ hiddenUnits: number[] }> }).nets?.[0]?.hiddenUnits ?? [];
    return { entry, evaluation: null, uplift: { kind: record.kind, experiment: record.experiment, hiddenUnits, evaluation: record.evaluation } };
  }
  return { entry, evaluation: await registry.readEvaluation(version) };
}
