import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useLocalStack } from '../helpers/stack.js';
import { handler } from '../../functions/process-events.js';
import { dynamoClient, resetClients, setClients, sqsClient } from '../../functions/commons/clients.js';
import { decodeEnvelope, encodeEnvelopes } from '../../functions/events/envelope.js';
import { countEvents, queryCustomerEvents } from '../../functions/store/events.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { resetConfig } from '../../functions/commons/config.js';

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

const context = { functionName: 'winback-process-events', awsRequestId: 'test' } as Context;
const processEvents = (event: SQSEvent) => handler(event, context);

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

  it('a message with events DynamoDB refuses stores its valid neighbours and parks only the refused events in the DLQ', async () => {
    const stack = stackOf();
    const poison = (i: number, price: number): StoredEvent => ({ ...event('poison-msg', i), properties: { price } });
    // One HTTP request's events: the edge let through numbers outside DynamoDB's range (10^-130..10^126).
    const events = [event('poison-msg', 1), poison(2, 1e308), event('poison-msg', 3), poison(4, 1e-200), event('poison-msg', 5)];
    const neighbour = encodeEnvelopes([event('poison-other', 1)])[0]!;
    const result = await processEvents({ Records: [record('p1', encodeEnvelopes(events)[0]!), record('p2', neighbour)] } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
    const stored = await queryCustomerEvents(stack.tableName, 'poison-msg');
    expect(stored.map((e) => e.eventId).sort()).toEqual(['seg:poison-msg-1', 'seg:poison-msg-3', 'seg:poison-msg-5']);
    expect(await queryCustomerEvents(stack.tableName, 'poison-other')).toHaveLength(1);
    // The dead-letter queue holds the two refused events, and nothing else.
    const parked: string[] = [];
    for (let attempt = 0; attempt < 5 && parked.length < 2; attempt++) {
      const out = await sqsClient().send(new ReceiveMessageCommand({ QueueUrl: stack.queues.eventsDlq.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of out.Messages ?? []) {
        parked.push(...decodeEnvelope(m.Body ?? '').events.map((e) => e.eventId));
        await sqsClient().send(new DeleteMessageCommand({ QueueUrl: stack.queues.eventsDlq.url, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    expect(parked.sort()).toEqual(['seg:poison-msg-2', 'seg:poison-msg-4']);
  });

  it('without a dead-letter queue configured, a message with a refused event fails alone (redelivered), its stored neighbours are not lost', async () => {
    const stack = stackOf();
    const saved = process.env['EVENTS_DLQ_URL'];
    delete process.env['EVENTS_DLQ_URL'];
    resetConfig();
    try {
      const events = [event('poison-nodlq', 1), { ...event('poison-nodlq', 2), properties: { price: 1e308 } }];
      const result = await processEvents({ Records: [record('n1', encodeEnvelopes(events)[0]!), record('n2', encodeEnvelopes([event('poison-nodlq-ok', 1)])[0]!)] } as SQSEvent);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'n1' }]);
      expect((await queryCustomerEvents(stack.tableName, 'poison-nodlq')).map((e) => e.eventId)).toEqual(['seg:poison-nodlq-1']);
      expect(await queryCustomerEvents(stack.tableName, 'poison-nodlq-ok')).toHaveLength(1);
    } finally {
      process.env['EVENTS_DLQ_URL'] = saved;
      resetConfig();
    }
  });
});
