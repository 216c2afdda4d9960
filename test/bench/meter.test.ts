import { describe, expect, it } from 'vitest';
import { usageFromSnapshot } from '../../scripts/bench/cost-report.js';
import { itemSize, writeUnits } from '../../scripts/bench/dynamodb-units.js';
import { RequestMeter, type MeterableClient } from '../../scripts/bench/meter.js';
import { EVENT_SOURCE_POLLER, SNS_DELIVERY } from '../../scripts/bench/meter-snapshot.js';

type Mw = (next: (args: any) => Promise<any>, context: any) => (args: any) => Promise<any>;

/** A client whose middleware stack keeps the meter's middleware, called by hand. */
function fakeClient(): MeterableClient & { call(command: string, input: object, output: object | Error): Promise<{ input: any; output: any }> } {
  let mw: Mw | undefined;
  return {
    middlewareStack: {
      add: (m) => void (mw = m as Mw),
      remove: () => true,
    },
    async call(command, input, output) {
      let seen: any;
      const next = async (args: any) => {
        seen = args.input;
        if (output instanceof Error) throw output;
        return { output: structuredClone(output) };
      };
      const result = await mw!(next, { commandName: `${command}Command` })({ input });
      return { input: seen, output: result.output };
    },
  };
}

const conditionFailed = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });

describe('request meter (scripts/bench/meter.ts)', () => {
  it('sizes items as DynamoDB does', () => {
    expect(itemSize({ pk: 'C#1' })).toBe(2 + 3);
    expect(itemSize({ n: 12345 })).toBe(1 + 4); // 5 significant digits: 3 + 1
    expect(itemSize({ b: true, z: null })).toBe(2 + 2);
    expect(itemSize({ l: ['ab', 1] })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(itemSize({ m: { k: 'v' } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemSize({ m: { M: { k: { S: 'v' } } } })).toBe(itemSize({ m: { k: 'v' } }));
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });

  it('counts table and index write units, leaves the caller\'s answer as it was, and skips the harness', async () => {
    const meter = new RequestMeter();
    const ddb = fakeClient();
    meter.attach(ddb, 'dynamodb');
    const fn = meter.wrapLambda('fn', async () => {
      const put = await ddb.call('PutItem', { Item: { pk: 'C#1', sk: 'E#1', tsk: 't', x: 'y'.repeat(1500) } }, { ConsumedCapacity: { CapacityUnits: 2 } });
      expect(put.input.ReturnConsumedCapacity).toBe('TOTAL');
      expect(put.output).toEqual({});
      const upd = await ddb.call(
        'UpdateItem',
        { Key: { pk: 'C#1', sk: 'S#1' } },
        { ConsumedCapacity: { CapacityUnits: 1 }, Attributes: { pk: 'C#1', sk: 'S#1', gsi1pk: 'L', gsi1sk: 'x' } },
      );
      expect(upd.input.ReturnValues).toBe('ALL_NEW');
      expect(upd.output).toEqual({});
      await ddb.call('BatchWriteItem', { RequestItems: { t: [{ PutRequest: { Item: { pk: 'C#2', sk: 'E#2', tsk: 't' } } }, { PutRequest: { Item: { pk: 'C#2', sk: 'P#1' } } }] } }, {
        ConsumedCapacity: [{ CapacityUnits: 2 }],
        UnprocessedItems: {},
      });
      await ddb.call('Query', { ConsistentRead: false }, { ConsumedCapacity: { CapacityUnits: 0.5 }, Items: [] });
      await expect(ddb.call('PutItem', { Item: { pk: 'C#3', sk: 'X' }, ConditionExpression: 'attribute_not_exists(pk)' }, conditionFailed)).rejects.toThrow('failed');
      return 'ok';
    });
    await expect(fn({}, {})).resolves.toBe('ok');
    await ddb.call('PutItem', { Item: { pk: 'H', sk: 'H' } }, { ConsumedCapacity: { CapacityUnits: 1 } }); // outside a handler

    const s = meter.snapshot();
    const put = s.calls['fn']!.dynamodb!['PutItem']!;
    expect(put).toMatchObject({ calls: 2, errors: 1, wru: 3, indexWru: 2, conditionalFailures: 1 });
    expect(s.calls['fn']!.dynamodb!['UpdateItem']).toMatchObject({ wru: 1, indexWru: 1 });
    expect(s.calls['fn']!.dynamodb!['BatchWriteItem']).toMatchObject({ wru: 2, indexWru: 1 });
    expect(s.calls['harness']!.dynamodb!['PutItem']).toMatchObject({ calls: 1, wru: 1 });
    expect(s.lambdas['fn']).toMatchObject({ invocations: 1, errors: 0 });
    expect(s.dynamodbStored.items).toBe(4); // E#1, S#1, E#2, P#1: not the harness's item

    const usage = usageFromSnapshot(s);
    expect(usage.dynamodbWru).toBe(3 + 2 + (1 + 1) + (2 + 1)); // puts (one failed) + update + batch, tables + indexes; harness excluded
    expect(usage.dynamodbRru).toBe(0.5);
    expect(usage.lambda).toEqual([{ name: 'fn', invocations: 1, memoryMb: 512, billedMs: s.lambdas['fn']!.billedMs }]);
  });

  it('bills SQS in 64 KB chunks, leaves idle receives out, and maps the SES event stand-in to SNS', async () => {
    const meter = new RequestMeter();
    const handlerSqs = fakeClient();
    const poller = fakeClient();
    meter.attach(handlerSqs, 'sqs');
    meter.attach(poller, 'sqs', { context: EVENT_SOURCE_POLLER });
    const api = meter.wrapHttpApi('ingest', async (event: { rawPath: string; body: string }) => {
      await handlerSqs.call('SendMessage', { MessageBody: event.body }, {});
      return 200;
    }, { snsPaths: ['/v1/email-events'] });
    await api({ rawPath: '/v1/batch', body: 'x'.repeat(70 * 1024) }, {}); // 1 API request (512 KB units), 2 SQS chunks
    await api({ rawPath: '/v1/email-events', body: '{}' }, {}); // 1 SNS publish, its SendMessage billed as SQS
    await poller.call('ReceiveMessage', {}, { Messages: [{ Body: 'a'.repeat(100) }, { Body: 'b' }] });
    await poller.call('ReceiveMessage', {}, { Messages: [] });
    await poller.call('DeleteMessageBatch', { Entries: [] }, {});

    const s = meter.snapshot();
    expect(s.apiGateway).toMatchObject({ requests: 1, billedRequests: 1 });
    expect(s.sns).toEqual({ publishes: 1, billedPublishes: 1 });
    expect(s.lambdas['ingest']!.invocations).toBe(1);
    expect(s.calls[SNS_DELIVERY]!.sqs!['SendMessage']!.billedRequests).toBe(1);
    expect(s.calls[EVENT_SOURCE_POLLER]!.sqs!['ReceiveMessage']).toMatchObject({ calls: 2, emptyReceives: 1, billedRequests: 1 });
    const usage = usageFromSnapshot(s);
    expect(usage.sqsRequests).toBe(2 + 1 + 1 + 1);
    expect(usage.apiGatewayRequests).toBe(1);
    expect(usage.snsPublishes).toBe(1);
  });
});
