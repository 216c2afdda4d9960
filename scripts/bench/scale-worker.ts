import type { Context } from 'aws-lambda';
import { createLambdaContext } from '../local/lambda-context.js';

/**
 * A job worker of the scale benchmark: one process standing for a warm Lambda container. It runs
 * the handler module a task names (functions/<module>.ts) on the event it is sent, and answers with
 * the result and its own peak resident memory (process.resourceUsage().maxRSS), which is what the
 * benchmark reports as the largest worker's memory.
 */
type Handler = (event: unknown, context: Context) => Promise<unknown>;
interface Task {
  readonly id: number;
  readonly module: string;
  readonly event: unknown;
}

const handlers = new Map<string, Promise<Handler>>();

process.on('message', (task: Task) => {
  void (async () => {
    try {
      let h = handlers.get(task.module);
      if (!h) {
        h = import(`../../functions/${task.module}.ts`).then((m: { handler: Handler }) => m.handler);
        handlers.set(task.module, h);
      }
      const result = await (await h)(task.event, createLambdaContext({ functionName: task.module, timeoutSeconds: 900 }));
      process.send!({ id: task.id, result, maxRssKb: process.resourceUsage().maxRSS });
    } catch (error) {
      const e = error as Error;
      process.send!({ id: task.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) }, maxRssKb: process.resourceUsage().maxRSS });
    }
  })();
});
// The pool disconnects a worker it retires: exit then (a profile run writes its profile on exit).
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
