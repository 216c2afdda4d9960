import { ModelRegistry } from '../../models/registry/registry.js';
import { FileModelStore, type ModelStore } from '../../models/registry/model-store.js';
import { parseRegistryUri } from '../../models/registry/open-store.js';

async function openModelStore(uri: string): Promise<ModelStore> {
  const location = parseRegistryUri(uri);
  if (location.kind === 'file') return new FileModelStore(location.dir);
  // Dynamic: keeps @aws-sdk/client-s3 out of the import graph of local runs and tests.
  const { S3ModelStore } = await import('../store/s3-model-store.js');
  return new S3ModelStore(location.bucket, location.prefix);
}

/** One registry per URI per process (a Lambda container reuses it across invocations). */
const registries = new Map<string, Promise<ModelRegistry>>();

export function openRegistry(uri: string): Promise<ModelRegistry> {
  let r = registries.get(uri);
  if (!r) {
    r = openModelStore(uri).then((store) => new ModelRegistry(store));
    registries.set(uri, r);
    r.catch(() => registries.delete(uri));
  }
  return r;
}
