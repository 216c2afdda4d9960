import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { closeDynaliteIterators } from '../../scripts/local/dynalite-iterators.js';

// The abstract-level that dynalite uses (memory-level shares it), resolved from dynalite.
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));

describe('dynalite iterator leak', () => {
  it('gives abstract-level iterators a return() that closes them, as dynalite expects', async () => {
    // Prepare
    const { MemoryLevel } = fromDynalite('memory-level') as { MemoryLevel: new () => { put(k: string, v: string): Promise<void>; values(): { next(): Promise<unknown>; return?: () => Promise<unknown> } } };
    const db = new MemoryLevel();
    await db.put('a', '1');
    await db.put('b', '2');
    // Act
    const applied = closeDynaliteIterators();
    const again = closeDynaliteIterators();
    const iterator = db.values();
    const first = await iterator.next();
    const ended = await iterator.return!();
    // Assess: a closed iterator refuses to go on
    expect(applied).toBe(true);
    expect(again).toBe(true);
    expect(first).toBe('1');
    expect(ended).toEqual({ done: true, value: undefined });
    await expect(iterator.next()).rejects.toMatchObject({ code: 'LEVEL_ITERATOR_NOT_OPEN' });
  });
});
