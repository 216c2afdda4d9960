import { describe, expect, it } from 'vitest';
import { encodeRow, ExperimentDataError, readExperiment, splitByArm } from '../../models/uplift/experiment.js';

const spec = { treatmentColumn: 'segment', treatment: 'Womens E-Mail', control: 'No E-Mail', outcome: 'visit', ignore: ['conversion'] };
// Hillstrom-like columns: a categorical with commas and a "$" in quoted values, a numeric with a gap,
// a constant column, a third arm, a byte-order mark and CRLF line ends.
const csv = [
  '\uFEFFrecency,history_segment,history,newbie,constant,segment,visit,conversion',
  '10,"1) $0 - $100",29.99,1,x,Womens E-Mail,1,0',
  '6,"2) $100 - $200",,0,x,No E-Mail,0,0',
  '7,"2) $100 - $200",180.5,1,x,Mens E-Mail,1,1',
  '9,"1) $0 - $100",75,0,x,No E-Mail,1,0',
  '2,"3) $200 - $350, ""gold""",250,1,x,Womens E-Mail,0,0',
].join('\r\n');

describe('reading a randomized experiment from CSV', () => {
  it('keeps the two named arms, one-hot encodes categoricals (quoted commas intact) and standardises numbers', () => {
    const d = readExperiment(csv, spec);
    expect(d.n).toBe(4);
    expect(d.otherArmRows).toBe(1);
    expect(d.t).toEqual([1, 0, 0, 1]);
    expect(d.y).toEqual([1, 0, 1, 0]);
    expect(d.binary).toBe(true);
    // `constant` has one level: dropped; conversion ignored; the BOM is not part of "recency".
    expect(d.encoder.inputs).toEqual([
      'recency',
      'history_segment=1) $0 - $100',
      'history_segment=2) $100 - $200',
      'history_segment=3) $200 - $350, "gold"',
      'history',
      'newbie',
    ]);
    // history over the rows present: 29.99, 75, 250 -> mean 118.33; the empty cell encodes as the mean (0).
    expect(d.x[1]![4]).toBe(0);
    const history = d.encoder.columns.find((c) => c.name === 'history')!;
    expect(history.kind === 'numeric' && history.mean).toBeCloseTo((29.99 + 75 + 250) / 3, 10);
    // An unseen level encodes as all zeros.
    expect(encodeRow(d.encoder, { recency: '10', history_segment: '7) $1,000 +', history: '1', newbie: '1' }).slice(1, 4)).toEqual([0, 0, 0]);
  });

  it('names the problem: a missing column, an arm with no rows, a non-numeric outcome', () => {
    expect(() => readExperiment(csv, { ...spec, outcome: 'spend' })).toThrow("outcome column 'spend' is not in the header");
    expect(() => readExperiment(csv, { ...spec, control: 'Nobody' })).toThrow("no row has segment = 'Nobody'");
    expect(() => readExperiment(csv.replace('Womens E-Mail,1,0', 'Womens E-Mail,yes,0'), spec)).toThrow(ExperimentDataError);
    expect(() => readExperiment(csv.replace('Womens E-Mail,1,0', 'Womens E-Mail,yes,0'), spec)).toThrow("row 2: outcome 'visit' is not a number ('yes')");
  });

  it('splits each arm by the holdout fraction, the same way for the same seed', () => {
    const t = Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const a = splitByArm(t, 0.3, 7);
    expect(a.holdout.filter((i) => t[i] === 1)).toHaveLength(75);
    expect(a.holdout.filter((i) => t[i] === 0)).toHaveLength(225);
    expect(splitByArm(t, 0.3, 7)).toEqual(a);
    expect(splitByArm(t, 0.3, 8).holdout).not.toEqual(a.holdout);
    expect(() => splitByArm(t, 1, 7)).toThrow('holdout fraction must be in (0, 1)');
  });
});
