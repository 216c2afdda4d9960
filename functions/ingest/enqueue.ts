import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../commons/clients.js';
import { RetryableError, ThrottledError } from '../../kernel/errors.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { encodeEnvelopes } from '../events/envelope.js';

/** Resolves only once SQS has acknowledged every message: the API answers 200 after this. */
export async function enqueueEvents(queueUrl: string, events: readonly StoredEvent[]): Promise<number> {
  const bodies = encodeEnvelopes(events);
  await Promise.all(bodies.map((body) => sendBody(queueUrl, body)));
  return bodies.length;
}

/** SQS (and the KMS key of an encrypted queue) answer these when they are rate-limiting the sender. */
const THROTTLING = new Set(['ThrottlingException', 'RequestThrottled', 'KmsThrottled', 'KMS.ThrottlingException', 'TooManyRequestsException']);
/** Seconds a throttled client is asked to wait: the SDK has already retried with backoff by then. */
export const THROTTLED_RETRY_AFTER_SECONDS = 2;

export async function sendBody(queueUrl: string, body: string): Promise<void> {
  try {
    await sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  } catch (error) {
    if (THROTTLING.has((error as Error)?.name)) {
      throw new ThrottledError('the event queue is throttling; retry after the Retry-After delay', THROTTLED_RETRY_AFTER_SECONDS, { cause: error });
    }
    throw new RetryableError('could not enqueue the events; retry the request', { cause: error });
  }
}
