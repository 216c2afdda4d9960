import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WinbackError } from '../kernel/errors.js';
import { assembleModel, type TrainedModel, type TrainingReport } from './churn-model.js';
import { FEATURES } from './features.js';
import type { Target } from './labels.js';
import type { ColumnStats, PlattCalibration } from './logistic.js';

/**
 * Saving and loading models in the TF.js layers format (`model.json` + `weights.bin`, what
 * `tf.loadLayersModel` and the Python converter understand) plus `metadata.json`, everything
 * else a model needs to score and to be judged: feature list and version, normalisation and
 * calibration, training window and cutoffs, data hash, metrics, backend.
 *
 * `model.save('file://...')` only exists with tfjs-node, so the artifacts are captured with
 * `tf.io.withSaveHandler` and written with fs, and loaded back through a custom `load()`.
 * `serializeModel` / `deserializeModel` work on bytes, so the registry can put the same three
 * files in S3 or on local disk.
 */

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'metadata.json';
export const METADATA_SCHEMA_VERSION = 1;

export class ModelFormatError extends WinbackError {}

/** Where a model came from and how it did; written by the experiment, read by the registry. */
export interface ModelProvenance {
  /** ISO cutoffs of the training rows. */
  readonly trainCutoffs: readonly string[];
  readonly evalCutoff: string;
  readonly horizonDays: number;
  /** Label horizon of the training rows (shorter than horizonDays only when history is short). */
  readonly trainHorizonDays: number;
  /** Events the training rows could see or be labelled by: [from, to). */
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly baselines?: Readonly<Record<string, unknown>>;
  readonly backend: string;
  readonly seed: number;
}

export interface ModelMetadata {
  readonly schemaVersion: number;
  readonly target: Target;
  readonly featureVersion: string;
  readonly features: ReadonlyArray<{ readonly name: string; readonly description: string; readonly transform: string }>;
  readonly normalisation: ColumnStats;
  readonly calibration: PlattCalibration;
  readonly training: TrainingReport;
  readonly dataHash: string;
  readonly provenance: ModelProvenance;
}

export interface ModelFiles {
  readonly [MODEL_FILE]: string;
  readonly [WEIGHTS_FILE]: Uint8Array;
  readonly [METADATA_FILE]: string;
}

export interface LoadedModel {
  readonly model: TrainedModel;
  readonly metadata: ModelMetadata;
}

/** The three files of a model, as bytes/text. */
export async function serializeModel(model: TrainedModel, provenance: ModelProvenance): Promise<ModelFiles> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || captured.weightData === undefined) {
    throw new ModelFormatError('the network produced no topology or weights to save');
  }
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(captured.weightData));
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: captured.weightSpecs }],
  };
  const featureByName = new Map(FEATURES.map((f) => [f.name as string, f]));
  const metadata: ModelMetadata = {
    schemaVersion: METADATA_SCHEMA_VERSION,
    target: model.target,
    featureVersion: model.featureVersion,
    features: model.featureNames.map((name) => ({
      name,
      description: featureByName.get(name)?.description ?? '',
      transform: featureByName.get(name)?.transform ?? 'none',
    })),
    normalisation: model.normalisation,
    calibration: model.calibration,
    training: model.training,
    dataHash: model.dataHash,
    provenance,
  };
  return {
    [MODEL_FILE]: JSON.stringify(modelJson),
    [WEIGHTS_FILE]: weights,
    [METADATA_FILE]: JSON.stringify(metadata, null, 2),
  };
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

function parseJson<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ModelFormatError(`${file} is not valid JSON`, { cause: err });
  }
}

/** Rebuild a model from its three files; predictions are bit-identical to the saved model's. */
export async function deserializeModel(files: ModelFiles): Promise<LoadedModel> {
  const modelJson = parseJson<ModelJson>(files[MODEL_FILE], MODEL_FILE);
  const metadata = parseJson<ModelMetadata>(files[METADATA_FILE], METADATA_FILE);
  if (metadata.schemaVersion !== METADATA_SCHEMA_VERSION) {
    throw new ModelFormatError(`metadata schema ${metadata.schemaVersion} is not ${METADATA_SCHEMA_VERSION}`);
  }
  const manifest = modelJson.weightsManifest;
  if (!modelJson.modelTopology || !Array.isArray(manifest) || manifest.length !== 1) {
    throw new ModelFormatError(`${MODEL_FILE} needs a modelTopology and one weights group`);
  }
  const bytes = files[WEIGHTS_FILE];
  // Copy into a fresh ArrayBuffer: a Node Buffer is a view into a shared pool.
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const network = await tf.loadLayersModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: manifest[0]?.weights ?? [],
      weightData,
      format: 'layers-model',
    }),
  });
  const model = assembleModel({
    target: metadata.target,
    network,
    featureVersion: metadata.featureVersion,
    featureNames: metadata.features.map((f) => f.name),
    normalisation: metadata.normalisation,
    calibration: metadata.calibration,
    training: metadata.training,
    dataHash: metadata.dataHash,
  });
  return { model, metadata };
}

export async function saveModel(dir: string, model: TrainedModel, provenance: ModelProvenance): Promise<ModelFiles> {
  const files = await serializeModel(model, provenance);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILE), files[MODEL_FILE]);
  await writeFile(join(dir, WEIGHTS_FILE), files[WEIGHTS_FILE]);
  await writeFile(join(dir, METADATA_FILE), files[METADATA_FILE]);
  return files;
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      throw new ModelFormatError(`cannot read ${name} in ${dir}`, { cause: err });
    }
  };
  const [modelJson, weights, metadata] = await Promise.all([read(MODEL_FILE), read(WEIGHTS_FILE), read(METADATA_FILE)]);
  return deserializeModel({
    [MODEL_FILE]: modelJson.toString('utf8'),
    [WEIGHTS_FILE]: new Uint8Array(weights),
    [METADATA_FILE]: metadata.toString('utf8'),
  });
}
