import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openRegistryFor } from '../../application/model-registry.js';
import { registerUplift, upliftRecordOf } from '../../models/registry/uplift-model.js';
import { initBackend } from '../../models/tf/backend.js';
import { evaluateExperiment, type UpliftEvaluation } from '../../models/uplift/evaluate.js';
import { readExperiment, splitByArm, type ExperimentSpec } from '../../models/uplift/experiment.js';
import { upliftPlots } from '../../models/uplift/plots.js';
import { asciiChart } from '../../models/plots/ascii.js';
import { integerOption, UsageError, type CliCommand, type OptionSpecs, type OptionValues } from './command.js';

/**
 * `winback uplift evaluate`: any randomized experiment exported as CSV -> its average treatment
 * effect with a 95 % CI, and uplift models (T-learner, class transformation) trained on one
 * split and judged on the other. `winback import experiment` keeps such a CSV in the data dir
 * (`<dataDir>/experiments/<name>.csv` + `<name>.json`, the column roles) as training data for
 * targeting; `uplift evaluate --experiment NAME` evaluates a kept one.
 */
const COLUMN_OPTIONS: OptionSpecs = {
  csv: { type: 'string' },
  'treatment-column': { type: 'string' },
  treatment: { type: 'string' },
  control: { type: 'string' },
  outcome: { type: 'string' },
  ignore: { type: 'string' },
};

const COLUMN_HELP = [
  '      --csv FILE                one row per customer, with a header',
  '      --treatment-column COL    the column naming the arm',
  '      --treatment VALUE         arm value of treated rows',
  '      --control VALUE           arm value of control rows (rows of other arms are left out)',
  '      --outcome COL             outcome column: 0/1 (conversion) or an amount',
  '      --ignore a,b              columns that are not features (ids, other outcomes that would leak)',
];

function required(values: OptionValues, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function specFrom(values: OptionValues): ExperimentSpec {
  const ignore = typeof values['ignore'] === 'string' ? values['ignore'].split(',').map((s) => s.trim()).filter(Boolean) : [];
  return {
    treatmentColumn: required(values, 'treatment-column'),
    treatment: required(values, 'treatment'),
    control: required(values, 'control'),
    outcome: required(values, 'outcome'),
    ignore,
  };
}

/** A kept experiment: the CSV's text and its column roles. */
export interface StoredExperiment {
  readonly name: string;
  readonly spec: ExperimentSpec;
  readonly sha256: string;
  readonly rows: number;
  readonly importedAt: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const experimentsDir = (dataDir: string): string => join(dataDir, 'experiments');

async function loadStored(dataDir: string, name: string): Promise<{ meta: StoredExperiment; text: string }> {
  if (!NAME.test(name)) throw new UsageError(`--experiment must be a name of letters, digits, . _ -, got '${name}'`);
  const dir = experimentsDir(dataDir);
  let meta: StoredExperiment;
  try {
    meta = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as StoredExperiment;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no experiment '${name}' in ${dir} (winback import experiment first)`);
    throw err;
  }
  return { meta, text: await readFile(join(dir, `${name}.csv`), 'utf8') };
}

const f = (x: number, d = 4): string => x.toFixed(d);

export function printEvaluation(r: UpliftEvaluation, out: (line: string) => void): void {
  const e = r.experiment;
  out(`experiment: ${e.rows} rows (${e.treated} treated, ${e.control} control${e.otherArmRows ? `, ${e.otherArmRows} of other arms left out` : ''}), outcome '${e.outcome}' (${e.outcomeType}), ${e.features.length} feature inputs`);
  out(`ATE ${f(r.ate)}  95% CI [${f(r.ateCi[0])}, ${f(r.ateCi[1])}]  (treated ${f(r.treatedMean)} vs control ${f(r.controlMean)})`);
  out(`holdout ${Math.round(r.holdoutFraction * 100)}%, seed ${r.seed}; random targeting gains the holdout ATE at every k`);
  out('  model                  hidden  qini    AUUC    uplift@10%  @20%     @30%     @50%     holdout ATE');
  for (const m of r.models) {
    const h = m.holdout;
    const mark = m.kind === r.model.kind ? '*' : ' ';
    const hidden = m.hiddenUnits.length ? m.hiddenUnits.join('x') : 'none';
    out(`${mark} ${m.kind.padEnd(21)} ${hidden.padEnd(6)} ${f(h.qini, 3).padStart(6)}  ${f(h.upliftAuc, 3).padStart(6)}  ${f(h.upliftAtK['0.1']).padStart(9)}  ${f(h.upliftAtK['0.2'])}  ${f(h.upliftAtK['0.3'])}  ${f(h.upliftAtK['0.5'])}  ${f(h.ate)}`);
  }
  out('  * chosen, and each kind\'s hidden layer, by cross-fitted Qini on the training rows (two folds)');
  const chosen = r.models.find((m) => m.kind === r.model.kind);
  if (chosen) {
    const q = chosen.curves.qini.map((p): [number, number] => [p.n, p.value]);
    const last = q[q.length - 1]!;
    out('');
    out(`Qini curve of ${chosen.kind} on the holdout (* model, . random targeting): incremental responders by customers targeted`);
    for (const line of asciiChart(q, [[0, 0], last])) out(line);
  }
}

/** The options `uplift evaluate` and `uplift train` share: the split, the plots, the registry, the output. */
export const MODEL_OPTIONS: OptionSpecs = {
  'holdout-fraction': { type: 'string' },
  seed: { type: 'string' },
  plot: { type: 'string' },
  register: { type: 'boolean' },
  json: { type: 'boolean' },
};

/** --holdout-fraction (default 0.5) and --seed (default 1), checked. */
export function splitOptions(values: OptionValues): { holdoutFraction: number; seed: number } {
  const fractionRaw = values['holdout-fraction'];
  const holdoutFraction = fractionRaw === undefined ? 0.5 : Number(fractionRaw);
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) throw new UsageError(`--holdout-fraction must be a number in (0, 1), got ${String(fractionRaw)}`);
  return { holdoutFraction, seed: integerOption(values, 'seed', { min: 0, max: 2 ** 31 - 1 }) ?? 1 };
}

/** With --plot DIR: the Qini and uplift curves of every model as SVG files there. */
export async function writePlots(values: OptionValues, models: UpliftEvaluation['models'], source: string, err: (line: string) => void): Promise<void> {
  if (typeof values['plot'] !== 'string') return;
  await mkdir(values['plot'], { recursive: true });
  for (const [name, svg] of Object.entries(upliftPlots(models, source))) {
    await writeFile(join(values['plot'], name), svg);
    err(`wrote ${join(values['plot'], name)}`);
  }
}

export const upliftEvaluateCommand: CliCommand = {
  name: 'uplift evaluate',
  summary: 'ATE with a 95% CI and held-out uplift models for a randomized experiment (CSV)',
  help: [
    'usage: winback uplift evaluate --csv FILE --treatment-column COL --treatment VALUE --control VALUE --outcome COL',
    '                               [--ignore a,b] [--holdout-fraction 0.5] [--seed N] [--plot DIR] [--register] [--json]',
    '       winback uplift evaluate --experiment NAME [...]   (one kept by winback import experiment)',
    '',
    ...COLUMN_HELP,
    '      --holdout-fraction F      share of each arm held out for evaluation (default 0.5)',
    '      --seed N                  seeds the split and the networks (default 1)',
    '      --plot DIR                write the Qini and uplift curves as SVG files there',
    '      --register                keep each model in the registry (kind uplift, champion/challenger by Qini)',
    '      --json                    print { ate, ateCi, model: { kind, holdout: { n, ate, upliftAtK, qini } }, ... }',
  ].join('\n'),
  options: {
    ...COLUMN_OPTIONS,
    experiment: { type: 'string' },
    ...MODEL_OPTIONS,
  },
  async run({ dataDir, values, out, err }) {
    const { holdoutFraction, seed } = splitOptions(values);
    let text: string;
    let spec: ExperimentSpec;
    let source: string;
    if (typeof values['experiment'] === 'string') {
      const stored = await loadStored(dataDir, values['experiment']);
      text = stored.text;
      spec = stored.meta.spec;
      source = `experiment ${stored.meta.name}`;
    } else {
      const file = required(values, 'csv');
      spec = specFrom(values);
      text = await readFile(file, 'utf8');
      source = basename(file);
    }
    const data = readExperiment(text, spec);
    const backend = await initBackend();
    err(`training uplift models on ${data.n} rows (TF.js ${backend.name})`);
    const result = evaluateExperiment(data, { holdoutFraction, seed });
    await writePlots(values, result.models, source, err);
    const registered: unknown[] = [];
    if (values['register']) {
      const registry = await openRegistryFor(dataDir);
      const { holdout } = splitByArm(data.t, holdoutFraction, seed);
      const dataHash = createHash('sha256').update(text).digest('hex');
      for (const m of result.models) {
        const record = upliftRecordOf({ evaluated: m, data, source, holdoutFraction, seed, dataHash });
        const r = await registerUplift(registry, {
          record,
          holdout: { raw: holdout.map((i) => data.raw[i]!), t: holdout.map((i) => data.t[i]!), y: holdout.map((i) => data.y[i]!), outcome: spec.outcome },
          createdAt: new Date(),
        });
        registered.push({ kind: m.kind, version: r.version, decision: r.decision, reason: r.reason });
        err(`registered ${r.version}: ${r.decision} (${r.reason})`);
      }
    }
    if (values['json']) {
      out(JSON.stringify({ ...result, models: result.models.map(({ model: _model, ...rest }) => rest), ...(registered.length ? { registered } : {}) }, null, 2));
    } else printEvaluation(result, out);
    return 0;
  },
};

export const importExperimentCommand: CliCommand = {
  name: 'import experiment',
  summary: 'keep a randomized experiment (CSV) in the data dir as training data for targeting',
  help: [
    'usage: winback import experiment --csv FILE --treatment-column COL --treatment VALUE --control VALUE --outcome COL',
    '                                 [--ignore a,b] [--name NAME] [--json]',
    '',
    ...COLUMN_HELP,
    '      --name NAME               what to call it (default: the file name without .csv)',
    '',
    'Stored as <data-dir>/experiments/NAME.csv and NAME.json (column roles, row count, sha256).',
    'Importing the same file under the same name again changes nothing.',
  ].join('\n'),
  options: { ...COLUMN_OPTIONS, name: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const file = required(values, 'csv');
    const spec = specFrom(values);
    const name = typeof values['name'] === 'string' ? values['name'] : basename(file).replace(/\.csv$/i, '');
    if (!NAME.test(name)) throw new UsageError(`--name must be letters, digits, . _ - (up to 64), got '${name}'`);
    const text = await readFile(file, 'utf8');
    // Validates the columns and the arms before anything is kept.
    const data = readExperiment(text, spec);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const dir = experimentsDir(dataDir);
    await mkdir(dir, { recursive: true });
    let existing: StoredExperiment | undefined;
    try {
      existing = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as StoredExperiment;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const unchanged = existing !== undefined && existing.sha256 === sha256 && JSON.stringify(existing.spec) === JSON.stringify(spec);
    const meta: StoredExperiment = unchanged ? existing! : { name, spec, sha256, rows: data.n, importedAt: new Date().toISOString() };
    if (!unchanged) {
      await writeFile(join(dir, `${name}.csv`), text);
      await writeFile(join(dir, `${name}.json`), JSON.stringify(meta, null, 2));
    }
    const treated = data.t.reduce((s, v) => s + v, 0);
    if (values['json']) out(JSON.stringify({ ...meta, treated, control: data.n - treated, otherArmRows: data.otherArmRows, unchanged, dir }, null, 2));
    else out(`${unchanged ? 'already kept' : 'kept'} experiment '${name}': ${data.n} rows (${treated} treated, ${data.n - treated} control), outcome '${spec.outcome}', in ${dir}`);
    return 0;
  },
};
