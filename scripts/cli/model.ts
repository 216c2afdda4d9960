import { localRegistryUri } from '../../models/registry/open-store.js';
import { ModelName, type RegistryIndex, type VersionEntry } from '../../models/registry/schema.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { openRegistry } from '../../functions/jobs/model-registry.js';
import { UsageError, type CliCommand, type OptionValues } from './command.js';

/**
 * `winback model list | promote | rollback`: the registry by hand. The registry is
 * MODEL_REGISTRY_URI when set (e.g. s3://... to inspect the AWS one), else `<dataDir>/models`;
 * these commands need no running stack.
 */
export function registryUriFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['MODEL_REGISTRY_URI'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : localRegistryUri(dataDir);
}

export const cliRegistry = (dataDir: string): Promise<ModelRegistry> => openRegistry(registryUriFor(dataDir));

function modelOption(values: OptionValues, fallback?: ModelName): ModelName | undefined {
  const raw = values['model'];
  if (raw === undefined) return fallback;
  const parsed = ModelName.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--model must be one of ${ModelName.options.join(', ')}, got ${String(raw)}`);
  return parsed.data;
}

function headline(v: VersionEntry): string {
  const m = v.metrics;
  if (v.model === 'clv') {
    return `r=${m['r']?.toFixed(3)} alpha=${m['alpha']?.toFixed(2)} a=${m['a']?.toFixed(3)} b=${m['b']?.toFixed(2)}${m['degenerate'] ? ' (degenerate, regularised)' : ''}`;
  }
  return `ROC-AUC ${m['rocAuc']?.toFixed(4)}  PR-AUC ${m['prAuc']?.toFixed(4)}  holdout ${v.evalCutoff?.slice(0, 10)}+${v.horizonDays}d`;
}

function printIndex(index: RegistryIndex, out: (line: string) => void): void {
  out(`${index.model}: champion ${index.champion ?? '(none)'}`);
  for (const v of [...index.versions].reverse()) {
    out(`  ${v.status === 'champion' ? '*' : ' '} ${v.version.padEnd(34)} ${v.status.padEnd(11)} ${headline(v)}`);
    out(`      ${v.reason}`);
  }
}

export const modelListCommand: CliCommand = {
  name: 'model list',
  summary: 'list registered model versions, champions and challengers',
  help: [
    'usage: winback model list [--model churn|propensity|clv] [--json] [--data-dir DIR]',
    '',
    'Reads the registry at MODEL_REGISTRY_URI, else <data-dir>/models.',
  ].join('\n'),
  options: { model: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out }) {
    const registry = await cliRegistry(dataDir);
    const only = modelOption(values);
    const indexes = only ? [await registry.readIndex(only)] : await registry.list();
    if (values['json']) out(JSON.stringify({ registry: registry.store.uri, models: indexes }, null, 2));
    else {
      out(`registry ${registry.store.uri}`);
      for (const index of indexes) printIndex(index, out);
    }
    return 0;
  },
};

export const modelPromoteCommand: CliCommand = {
  name: 'model promote',
  summary: 'make a registered version the champion (manual, with a reason)',
  help: 'usage: winback model promote <version> [--reason TEXT] [--data-dir DIR]',
  options: { reason: { type: 'string' } },
  positionals: true,
  async run({ dataDir, values, positionals, out }) {
    const version = positionals[0];
    if (!version) throw new UsageError('name the version to promote (see winback model list)');
    const reason = typeof values['reason'] === 'string' && values['reason'] !== '' ? values['reason'] : 'promoted by hand';
    const index = await (await cliRegistry(dataDir)).promote(version, reason, new Date());
    out(`${index.model} champion is now ${index.champion} (${reason})`);
    return 0;
  },
};

export const modelRollbackCommand: CliCommand = {
  name: 'model rollback',
  summary: 'go back to the previous champion of a model',
  help: 'usage: winback model rollback [--model churn|propensity|clv] [--reason TEXT] [--data-dir DIR]   (default churn)',
  options: { model: { type: 'string' }, reason: { type: 'string' } },
  async run({ dataDir, values, out }) {
    const model = modelOption(values, 'churn') as ModelName;
    const reason = typeof values['reason'] === 'string' && values['reason'] !== '' ? values['reason'] : 'rolled back by hand';
    const { from, to } = await (await cliRegistry(dataDir)).rollback(model, reason, new Date());
    out(`${model} champion rolled back from ${from} to ${to}`);
    return 0;
  },
};
