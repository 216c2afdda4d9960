import type { ModelRegistry } from '../../models/registry/registry.js';
import type { RegistryIndex } from '../../models/registry/schema.js';
export { showVersion as modelShow, type ModelShowJson } from '../cli/model.js';

/**
 * The registry as the console shows it, with the CLI's JSON shapes: `winback model list --json`
 * ({ registry, models }) and `winback model show <version> --json` ({ entry, evaluation }, the
 * CLI's own showVersion).
 */
export interface ModelList {
  readonly registry: string;
  readonly models: RegistryIndex[];
}

/** Every model's index, as `winback model list --json` prints it (without --model). */
export async function modelList(registry: ModelRegistry): Promise<ModelList> {
  return { registry: registry.store.uri, models: await registry.list() };
}
