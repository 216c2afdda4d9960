import { listScoringRuns } from '../functions/store/scores.js';

/** The time of the newest scoring run recorded, if any: what a score at an earlier time cannot replace. */
export async function newestScoringRun(table: string): Promise<string | undefined> {
  const runs = await listScoringRuns(table, { completeRuns: 1 });
  return runs.map((r) => r.scoredAt).sort().at(-1);
}
