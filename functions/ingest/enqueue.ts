import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../commons/clients.js';
import { RetryableError } from '../../kernel/errors.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { encodeEnvelopes } from '../events/envelope.js';

/** Resolves only once SQS has acknowledged every message: the API answers 200 after this. */
export async function enqueueEvents(queueUrl: string, events: readonly StoredEvent[]): Promise<number> {
  const bodies = encodeEnvelopes(events);
  await Promise.all(bodies.map((body) => sendBody(queueUrl, body)));
  return bodies.length;
}

export async function sendBody(queueUrl: string, body: string): Promise<void> {
  try {
    await sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  } catch (error) {
    throw new RetryableError('could not enqueue the events; retry the request', { cause: error });
  }
}
