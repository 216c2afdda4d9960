import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';

// STUB: being written; signature is final.
export const handler = async (_event: SQSEvent): Promise<SQSBatchResponse> => ({ batchItemFailures: [] });
