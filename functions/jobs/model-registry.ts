import { ModelRegistry } from '../../models/registry/registry.js';
import { openModelStore } from '../../models/registry/open-store.js';

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
