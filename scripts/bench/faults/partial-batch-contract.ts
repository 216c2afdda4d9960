import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsBatchHandler } from '../../../functions/commons/handler.js';
import type { Scenario } from './scenario.js';

/**
 * The SQS partial batch response every consumer answers with (functions/commons/handler.ts): the
 * ids reported failed are exactly the records whose handler failed, so SQS redelivers those and
 * deletes the others; never a succeeded record redelivered, never a failed one dropped.
 */
const context = { functionName: 'bench-faults', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export const partialBatchContract: Scenario = {
  name: 'partial-batch-contract',
  volume: 10_000,
  guarantee: 'a batch reports exactly its failed records for redelivery (no failed record deleted, no stored one redelivered)',
  async run({ operations, random }) {
    let failing = new Set<string>();
    const handler = sqsBatchHandler(async (record: SQSRecord) => {
      // Some fail at once, some after an await: partial batches finish in any order.
      if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
      if (failing.has(record.messageId)) throw new Error('injected failure');
    });
    let lost = 0;
    let duplicated = 0;
    let records = 0;
    for (let b = 0; b < operations; b++) {
      const size = 1 + Math.floor(random() * 10);
      const rate = random();
      const batch: SQSRecord[] = Array.from({ length: size }, (_, i) => ({ messageId: `m-${b}-${i}`, body: '{}' }) as SQSRecord);
      failing = new Set(batch.filter(() => random() < rate).map((r) => r.messageId));
      records += size;
      const out = (await handler({ Records: batch } as SQSEvent, context)) as SQSBatchResponse;
      const reported = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
      for (const id of failing) if (!reported.has(id)) lost++;
      for (const id of reported) if (!failing.has(id)) duplicated++;
    }
    return { operations, lost, duplicated, violations: 0, notes: { records } };
  },
};
