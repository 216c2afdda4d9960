import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Asl } from '../../functions/journeys/state-machine.js';
import { WinbackError } from '../../kernel/errors.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.js';
import { taskStateNames } from './stepfunctions.js';

/**
 * Distributed Map on the local stack. aws-local-stepfunctions runs the ASL but has no ItemReader,
 * ItemBatcher or ResultWriter, so this runner takes the very definition CDK deploys
 * (functions/jobs/distributed-definitions.ts) and plays the Map's part of the service itself:
 * every Map state in DISTRIBUTED mode is handed to aws-local-stepfunctions as a Task state of the
 * same name (Next/End, ResultPath and Catch kept, so the surrounding flow is the engine's own),
 * whose local handler
 *   - reads the items from the manifest named by ItemReader.Parameters (Bucket.$, Key.$ resolved
 *     against the state's input) in a local directory standing in for the bucket (the stack has
 *     no S3 emulator; the functions write there through JOB_BUCKET_DIR),
 *   - cuts them into batches of ItemBatcher.MaxItemsPerBatch with its BatchInput,
 *   - runs one child execution of ItemProcessor per batch with aws-local-stepfunctions (the
 *     child's Retry, Catch and timeouts are the engine's), at most MaxConcurrency (and this
 *     runner's cap) at a time,
 *   - fails with States.ExceedToleratedFailureThreshold beyond ToleratedFailurePercentage,
 *   - writes the ResultWriter files (manifest.json, SUCCEEDED_0.json, FAILED_0.json) below
 *     Parameters.Prefix and answers { MapRunArn, ResultWriterDetails: { Bucket, Key } } as AWS does.
 * Task states invoke `invoke(resource, input)`: in-process handlers, or worker processes (the
 * scale benchmark, which measures their memory).
 */
export class DistributedMapError extends WinbackError {}

export type TaskInvoker = (resource: string, input: unknown, stateName: string) => Promise<unknown>;

export interface LocalJobRunnerOptions {
  /** Bucket name -> the directory standing in for it. */
  readonly buckets: Readonly<Record<string, string>>;
  readonly invoke: TaskInvoker;
  /** Child executions at once, at most (a laptop has fewer cores than Lambda has containers). Default 4. */
  readonly maxChildConcurrency?: number;
  /** Milliseconds between Task retries (AWS: 2 s with backoff). Default 10. */
  readonly retryIntervalMs?: number;
}

export interface MapRunReport {
  readonly state: string;
  readonly items: number;
  readonly batches: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly resultKey: string;
}

type State = Record<string, unknown>;
type ChildResult = { Name: string; Status: 'SUCCEEDED' | 'FAILED'; Input: string; Output?: string; Error?: string; Cause?: string };

const LOCAL_MAP_RESOURCE = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:local-distributed-map`;

/** The value at a JSONPath of the simple kind the definitions use: `$`, `$.a.b`. */
export function atPath(input: unknown, path: string): unknown {
  if (path === '$') return input;
  if (!path.startsWith('$.')) throw new DistributedMapError(`unsupported path ${path}`);
  let v: unknown = input;
  for (const part of path.slice(2).split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) throw new DistributedMapError(`path ${path} not found in the state input`);
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A Parameters-style template: `key.$` fields take the value at their path, others are literal. */
export function resolveTemplate(template: Readonly<Record<string, unknown>>, input: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(template).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), atPath(input, String(v))] : [k, v])));
}

export class LocalJobRunner {
  readonly mapRuns: MapRunReport[] = [];
  private runs = 0;

  constructor(private readonly opts: LocalJobRunnerOptions) {}

  /** Runs a definition to its end; rejects as the execution fails (the Fail state's error and cause). */
  async run(asl: Asl, input: object, name = `run-${Date.now()}`): Promise<unknown> {
    const distributed = new Map<string, State>();
    const states: Record<string, State> = {};
    for (const [stateName, state] of Object.entries(asl.States)) {
      const processor = state['ItemProcessor'] as { ProcessorConfig?: { Mode?: string } } | undefined;
      if (state['Type'] === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        distributed.set(stateName, state);
        states[stateName] = {
          Type: 'Task',
          Resource: LOCAL_MAP_RESOURCE,
          // The Map runs as long as the execution allows (the engine's default task timeout is 60 s).
          TimeoutSeconds: asl.TimeoutSeconds ?? 86_400,
          ...pick(state, ['ResultPath', 'Catch', 'Next', 'End']),
        };
      } else states[stateName] = state;
    }
    const local: Asl = { ...asl, States: states };
    const taskStates = taskStateNames(local as never);
    const machine = new StateMachine(local as never);
    const startedAt = new Date().toISOString();
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          taskStates.map((stateName) => [
            stateName,
            (stateInput: unknown) => {
              const map = distributed.get(stateName);
              return (map ? this.runMap(stateName, map, stateInput, name) : this.opts.invoke(String(states[stateName]?.['Resource']), stateInput, stateName)) as Promise<never>;
            },
          ]),
        ),
        retryIntervalOverrides: Object.fromEntries(taskStates.map((s) => [s, this.opts.retryIntervalMs ?? 10])),
      },
      context: { Execution: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:winback-job:${name}`, Name: name, Input: input as never, StartTime: startedAt } },
    });
    return execution.result;
  }

  private async runMap(stateName: string, map: State, input: unknown, executionName: string): Promise<unknown> {
    const reader = map['ItemReader'] as { Parameters: Record<string, unknown>; ReaderConfig?: { InputType?: string } };
    if (reader.ReaderConfig?.InputType !== 'JSON') throw new DistributedMapError(`${stateName}: only JSON manifests are read locally`);
    const location = resolveTemplate(reader.Parameters, input) as { Bucket: string; Key: string };
    const items = JSON.parse(await readFile(this.path(location.Bucket, location.Key), 'utf8')) as unknown;
    if (!Array.isArray(items)) throw new DistributedMapError(`${stateName}: the manifest s3://${location.Bucket}/${location.Key} is not a JSON array`);

    const batcher = map['ItemBatcher'] as { MaxItemsPerBatch?: number; BatchInput?: Record<string, unknown> } | undefined;
    const perBatch = batcher?.MaxItemsPerBatch ?? 1;
    const batchInput = batcher?.BatchInput ? resolveTemplate(batcher.BatchInput, input) : undefined;
    const childInputs: unknown[] = [];
    for (let i = 0; i < items.length; i += batcher ? perBatch : 1) {
      childInputs.push(batcher ? { Items: items.slice(i, i + perBatch), ...(batchInput ? { BatchInput: batchInput } : {}) } : items[i]);
    }

    const processor = map['ItemProcessor'] as { StartAt: string; States: Record<string, State> };
    const child = new StateMachine({ StartAt: processor.StartAt, States: processor.States } as never);
    const childTasks = taskStateNames({ States: processor.States } as never);
    const concurrency = Math.max(1, Math.min(Number(map['MaxConcurrency'] ?? 1000) || 1000, this.opts.maxChildConcurrency ?? 4));
    const results: ChildResult[] = new Array(childInputs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < childInputs.length) {
        const index = next++;
        const childInput = childInputs[index];
        const name = `${executionName}-${stateName}-${index}`;
        try {
          const output = await child.run(childInput as never, {
            overrides: {
              taskResourceLocalHandlers: Object.fromEntries(
                childTasks.map((s) => [s, (i: unknown) => this.opts.invoke(String(processor.States[s]?.['Resource']), i, s) as Promise<never>]),
              ),
              retryIntervalOverrides: Object.fromEntries(childTasks.map((s) => [s, this.opts.retryIntervalMs ?? 10])),
            },
          }).result;
          results[index] = { Name: name, Status: 'SUCCEEDED', Input: JSON.stringify(childInput), Output: JSON.stringify(output) };
        } catch (error) {
          const inner = ((error as { cause?: unknown })?.cause ?? error) as Error;
          results[index] = { Name: name, Status: 'FAILED', Input: JSON.stringify(childInput), Error: inner?.name ?? 'Error', Cause: inner?.message ?? String(inner) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, childInputs.length) }, worker));

    const succeeded = results.filter((r) => r.Status === 'SUCCEEDED');
    const failed = results.filter((r) => r.Status === 'FAILED');
    const resultKey = await this.writeResults(map, input, stateName, executionName, succeeded, failed);
    this.mapRuns.push({ state: stateName, items: items.length, batches: childInputs.length, succeeded: succeeded.length, failed: failed.length, resultKey: resultKey.Key });
    const tolerated = Number(map['ToleratedFailurePercentage'] ?? 0);
    if (childInputs.length > 0 && (failed.length * 100) / childInputs.length > tolerated) {
      const first = failed[0]!;
      throw Object.assign(new DistributedMapError(`${failed.length} of ${childInputs.length} child executions failed (tolerated: ${tolerated}%); first: ${first.Error}: ${first.Cause}`), {
        name: 'States.ExceedToleratedFailureThreshold',
      });
    }
    return { MapRunArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:mapRun:winback-job/${stateName}:${executionName}`, ResultWriterDetails: resultKey };
  }

  private async writeResults(map: State, input: unknown, stateName: string, executionName: string, succeeded: ChildResult[], failed: ChildResult[]): Promise<{ Bucket: string; Key: string }> {
    const writer = map['ResultWriter'] as { Parameters: Record<string, unknown> } | undefined;
    if (!writer) return { Bucket: '', Key: '' };
    const { Bucket, Prefix } = resolveTemplate(writer.Parameters, input) as { Bucket: string; Prefix?: string };
    const base = `${Prefix ? `${Prefix}/` : ''}${stateName}-${executionName}-${++this.runs}`;
    const files: Record<string, Array<{ Key: string; Size: number }>> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
    for (const [status, list] of [['SUCCEEDED', succeeded], ['FAILED', failed]] as const) {
      if (list.length === 0) continue;
      const body = JSON.stringify(list);
      const key = `${base}/${status}_0.json`;
      await this.write(Bucket, key, body);
      files[status]!.push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const key = `${base}/manifest.json`;
    await this.write(Bucket, key, JSON.stringify({ DestinationBucket: Bucket, MapRunArn: `local:${base}`, ResultFiles: files }));
    return { Bucket, Key: key };
  }

  private path(bucket: string, key: string): string {
    const dir = this.opts.buckets[bucket];
    if (!dir) throw new DistributedMapError(`no local directory for bucket ${bucket}`);
    if (key.split('/').includes('..')) throw new DistributedMapError(`invalid key ${key}`);
    return join(dir, key);
  }

  private async write(bucket: string, key: string, body: string): Promise<void> {
    const path = this.path(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }

  /** Reads a ResultWriter file back (the outputs of the child executions). */
  async readResults(details: { Bucket: string; Key: string }): Promise<ChildResult[]> {
    const manifest = JSON.parse(await readFile(this.path(details.Bucket, details.Key), 'utf8')) as { ResultFiles: Record<string, Array<{ Key: string }>> };
    const out: ChildResult[] = [];
    for (const f of [...(manifest.ResultFiles['SUCCEEDED'] ?? []), ...(manifest.ResultFiles['FAILED'] ?? [])]) {
      out.push(...(JSON.parse(await readFile(this.path(details.Bucket, f.Key), 'utf8')) as ChildResult[]));
    }
    return out;
  }
}

function pick(state: State, keys: readonly string[]): State {
  return Object.fromEntries(keys.filter((k) => k in state).map((k) => [k, state[k]]));
}
