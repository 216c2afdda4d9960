import { describe, expect, it } from 'vitest';
import { lineProgress } from '../../scripts/demo/progress.js';

/** Without a terminal, a long step says how far it is every few seconds instead of keeping silent. */
describe('progress without a terminal', () => {
  it('prints a line at most every interval while a step runs, and a last one when it stops', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = lineProgress((l) => lines.push(l), 10_000, () => t).bar('load', 2000, 'customers');
    for (let done = 1; done <= 2000; done++) {
      t += 20; // 20 ms a customer: 40 s in all
      bar.update(done);
    }
    bar.stop();
    bar.stop();
    expect(lines).toEqual([
      'load: 500/2,000 customers (25%, 10 s)',
      'load: 1,000/2,000 customers (50%, 20 s)',
      'load: 1,500/2,000 customers (75%, 30 s)',
      'load: 2,000/2,000 customers (100%, 40 s)',
    ]);
  });

  it('closes with the count reached when the step stops between two lines', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = lineProgress((l) => lines.push(l), 10_000, () => t).bar('train churn train', 40, 'epochs');
    for (let done = 1; done <= 25; done++) {
      t += 1000;
      bar.update(done);
    }
    bar.stop();
    expect(lines).toEqual(['train churn train: 10/40 epochs (25%, 10 s)', 'train churn train: 20/40 epochs (50%, 20 s)', 'train churn train: 25/40 epochs (62%, 25 s)']);
  });

  it('keeps a step shorter than the interval to its step line (nothing printed)', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = lineProgress((l) => lines.push(l), 10_000, () => t).bar('score', 300, 'customers');
    for (let done = 1; done <= 300; done++) {
      t += 10;
      bar.update(done);
    }
    bar.stop();
    expect(lines).toEqual([]);
  });
});
