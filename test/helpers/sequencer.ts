import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { DEMO_DATA_USERS } from './demo-data.js';

/**
 * Vitest's order (per project, slowest file first from the last run), rearranged for two workers:
 * the isolated files first, so the slowest of the run (`winback start` end to end) starts at once;
 * then the projects whose files share a process (a worker is reused only while the next file in
 * the queue is of the same project, so each stays in one block); the files that use the shared
 * demo data last, as its build, started with the run (global-setup.ts), finishes meanwhile.
 */
export class TwoWorkerSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const usesDemoData = (f: TestSpecification): boolean => DEMO_DATA_USERS.some((u) => f.moduleId.endsWith(u));
    const isolated = (f: TestSpecification): boolean => f.project.config.isolate !== false;
    const rest = sorted.filter((f) => !usesDemoData(f));
    return [...rest.filter(isolated), ...rest.filter((f) => !isolated(f)), ...sorted.filter(usesDemoData)];
  }
}
