import { createRequire } from 'node:module';

/**
 * dynalite 4 turns abstract-level iterators into streams and, when a stream ends or is destroyed,
 * closes the iterator with `iterator.return()`, which abstract-level 3 iterators do not have:
 * every Query and Scan leaves a LevelDB iterator open. Each one pins memory (JS and native), so a
 * long-running `winback start`, which scores everyone every virtual day, grew by ~250 MB per
 * scoring run. Giving the iterators a `return()` that closes them keeps memory flat.
 *
 * Applied by startEmulators before dynalite starts, so every command and test gets it. Idempotent,
 * and a no-op (returns false) if the libraries change shape.
 */
interface IteratorPrototype {
  close?: () => Promise<void>;
  return?: () => Promise<{ done: true; value: undefined }>;
}

let patched = false;

export function closeDynaliteIterators(): boolean {
  if (patched) return true;
  try {
    const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const { AbstractValueIterator } = fromDynalite('abstract-level') as { AbstractValueIterator?: { prototype: object } };
    if (!AbstractValueIterator) return false;
    // The common base of the key, value and entry iterators.
    const common = Object.getPrototypeOf(AbstractValueIterator.prototype) as IteratorPrototype;
    if (typeof common.close !== 'function' || 'return' in common) return false;
    common.return = async function (this: IteratorPrototype) {
      await this.close!();
      return { done: true, value: undefined };
    };
    patched = true;
    return true;
  } catch {
    return false;
  }
}
