import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { averageTreatmentEffect } from '../../models/uplift/metrics.js';
import { readExperiment } from '../../models/uplift/experiment.js';

/**
 * A public randomized e-mail experiment (test/fixtures/hillstrom/README.md): the arm differences
 * `winback uplift evaluate` prints as `ate` reproduce Hillstrom's published figures (each arm
 * against No E-Mail) within 0.1 percentage point, and their 95 % CI covers the published value.
 * The models' held-out figures on it are measured by `npm run eval:uplift`, not here (training).
 */
const text = gunzipSync(readFileSync(new URL('../fixtures/hillstrom/hillstrom.csv.gz', import.meta.url))).toString('utf8');

/** Published per-arm rates (visit and conversion in %, spend in $ per customer). */
const PUBLISHED = {
  'Mens E-Mail': { visit: 18.28, conversion: 1.25, spend: 1.42 },
  'Womens E-Mail': { visit: 15.14, conversion: 0.88, spend: 1.08 },
  'No E-Mail': { visit: 10.62, conversion: 0.57, spend: 0.65 },
} as const;
const OUTCOMES = ['visit', 'conversion', 'spend'] as const;

describe("Hillstrom's e-mail experiment", () => {
  for (const arm of ['Mens E-Mail', 'Womens E-Mail'] as const) {
    for (const outcome of OUTCOMES) {
      it(`${arm} vs No E-Mail, ${outcome}: the published difference, with a CI covering it`, () => {
        const data = readExperiment(text, {
          treatmentColumn: 'segment',
          treatment: arm,
          control: 'No E-Mail',
          outcome,
          ignore: OUTCOMES.filter((o) => o !== outcome),
        });
        expect(data.n + data.otherArmRows).toBe(64_000);
        const { ate, ci } = averageTreatmentEffect(data.y, data.t);
        // Rates are published in %, spend in dollars: compare in the published unit.
        const unit = outcome === 'spend' ? 1 : 100;
        const published = PUBLISHED[arm][outcome] - PUBLISHED['No E-Mail'][outcome];
        expect(Math.abs(ate * unit - published)).toBeLessThan(0.1);
        expect(ci[0] * unit).toBeLessThanOrEqual(published);
        expect(ci[1] * unit).toBeGreaterThanOrEqual(published);
      });
    }
  }
});
