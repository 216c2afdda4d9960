import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalStack } from '../helpers/stack.js';
import { processEvents } from '../../functions/process-events.js';
import { dynamoClient, resetClients, setClients } from '../../functions/commons/clients.js';
import { encodeEnvelopes } from '../../functions/events/envelope.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';

const stackOf = useLocalStack();

const event = (customerId: string, i: number): StoredEvent => ({
  eventId: `seg:${customerId}-${i}`,
  customerId,
  userId: customerId,
  kind: 'track',
  name: 'Product Viewed',
  timestamp: `2026-05-01T00:00:${String(i).padStart(2, '0')}.000Z`,
  receivedAt: '2026-05-01T00:01:00.000Z',
  source: 'test',
  properties: {},
});

const record = (id: string, body: string): SQSRecord => ({
  messageId: id,
  receiptHandle: id,
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:winback-events',
  awsRegion: 'us-east-1',
});

/**
 * Fault injection the emulator cannot do: wraps the real client, so accepted writes really land.
 * `unprocessed`: DynamoDB's partial BatchWriteItem (it returns some items as UnprocessedItems).
 */
function faultyClient(real: DynamoDBDocumentClient, fault: 'unprocessed' | 'throttle-first'): { client: DynamoDBDocumentClient; calls: () => number } {
  let calls = 0;
  const client = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        if (!(command instanceof BatchWriteCommand)) return target.send(command as never);
        calls++;
        if (fault === 'throttle-first' && calls === 1) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
        }
        const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0]!;
        if (requests.length < 2) return target.send(command);
        const half = Math.ceil(requests.length / 2);
        await target.send(new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, half) } }));
        return { UnprocessedItems: { [table]: requests.slice(half) } };
      };
    },
  });
  return { client, calls: () => calls };
}

afterEach(() => resetClients());

describe('processor under faults', () => {
  it('retries UnprocessedItems until every event is stored', async () => {
    const stack = stackOf();
    const real = dynamoClient();
    const faulty = faultyClient(real, 'unprocessed');
    setClients({ dynamo: faulty.client });
    const events = Array.from({ length: 60 }, (_, i) => event('unproc', i));
    const result = await processEvents({ Records: [record('r1', encodeEnvelopes(events)[0]!)] } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(faulty.calls()).toBeGreaterThan(3);
    expect(await queryCustomerEvents(stack.tableName, 'unproc')).toHaveLength(60);
  });

  it('reports only the undecodable record as a failure and stores the rest', async () => {
    const stack = stackOf();
    const good = encodeEnvelopes([event('mixed', 1), event('mixed', 2)])[0]!;
    const result = await processEvents({ Records: [record('ok', good), record('bad', '{"v":1,"events":"nope"}')] } as SQSEvent);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(await queryCustomerEvents(stack.tableName, 'mixed')).toHaveLength(2);
  });

  it('a throttled batch write falls back to record-by-record storing and loses nothing', async () => {
    const stack = stackOf();
    const faulty = faultyClient(dynamoClient(), 'throttle-first');
    setClients({ dynamo: faulty.client });
    const before = (await countEvents(stack.tableName)).total;
    const records = [record('t1', encodeEnvelopes([event('thr', 1)])[0]!), record('t2', encodeEnvelopes([event('thr', 2)])[0]!)];
    const result = await processEvents({ Records: records } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(await queryCustomerEvents(stack.tableName, 'thr')).toHaveLength(2);
    // and processing the same batch again (an SQS redelivery) adds nothing
    await processEvents({ Records: records } as SQSEvent);
    expect((await countEvents(stack.tableName)).total).toBe(before + 2);
  });
});
