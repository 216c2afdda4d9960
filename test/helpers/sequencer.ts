import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { DEMO_DATA_USERS } from './demo-data.js';

/**
 * Vitest's order (slowest first, from the last run), but the files that use the shared demo data
 * last: its build starts with the run (global-setup.ts), and a worker that began with one of them
 * would sit idle until the build is done.
 */
export class DemoDataLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const usesDemoData = (f: TestSpecification): boolean => DEMO_DATA_USERS.some((u) => f.moduleId.endsWith(u));
    return [...sorted.filter((f) => !usesDemoData(f)), ...sorted.filter(usesDemoData)];
  }
}
