import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, sesClient, sqsClient } from '../../functions/commons/clients.js';
import { getConfig } from '../../functions/commons/config.js';
import { MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS } from '../../kernel/settings.js';
import { localClientConfig } from '../../scripts/local/emulators.js';
import { PortInUseError, StackInProcessError, StackNotRunningError } from '../../scripts/local/errors.js';
import { connectToRunningStack, startLocalStack, withStack, type LocalStack } from '../../scripts/local/stack.js';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'winback-stack-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );
const endpointsFile = (): string => path.join(dataDir, 'endpoints.json');

describe('local stack lifecycle', () => {
  let stack: LocalStack | undefined;
  let firstWriteKey = '';

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts, answers /healthz and records its endpoints', async () => {
    // Act
    stack = await startLocalStack({ dataDir, port: 0, quiet: true });
    const health = await fetch(`${stack.apiUrl}/healthz`);
    // Assess
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    const written = JSON.parse(await readFile(endpointsFile(), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({
      apiUrl: stack.apiUrl,
      inboxUrl: stack.inboxUrl,
      writeKey: stack.writeKey,
      dynamodb: stack.endpoints.dynamodb,
      sqs: stack.endpoints.sqs,
      ses: stack.endpoints.ses,
      pid: process.pid,
    });
    expect(Date.parse(written.startedAt as string)).not.toBeNaN();
    const config = JSON.parse(await readFile(path.join(dataDir, 'config.json'), 'utf8')) as { writeKeys: Record<string, string> };
    expect(config.writeKeys).toEqual({ [stack.writeKey]: 'local' });
    expect(stack.writeKey).toMatch(/^wk_local_[0-9a-f]{32}$/);
    firstWriteKey = stack.writeKey;
  });

  it('creates the table and queues as kernel/settings.ts declares them', async () => {
    // Prepare
    const ddb = new DynamoDBClient(localClientConfig(stack!.endpoints.dynamodb));
    const sqs = new SQSClient(localClientConfig(stack!.endpoints.sqs));
    // Act
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'winback' }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack!.queues.events.url, AttributeNames: ['All'] }),
    );
    ddb.destroy();
    sqs.destroy();
    // Assess
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.LocalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'byTime',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'tsk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    expect(attrs.Attributes?.VisibilityTimeout).toBe(String(QUEUE_VISIBILITY_TIMEOUT_SECONDS));
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: stack!.queues.eventsDlq.arn,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    expect(stack!.queues.emailEventsDlq.name).toBe('winback-email-events-dlq');
  });

  it('points the handlers’ config and SDK clients at the emulators', async () => {
    // Act: the singletons from functions/commons, configured only by the environment
    const config = getConfig();
    await dynamoClient().send(new PutCommand({ TableName: config.TABLE_NAME, Item: { pk: 'test#restart', sk: 'item', value: 42 } }));
    const queue = await sqsClient().send(
      new GetQueueAttributesCommand({ QueueUrl: config.EVENTS_QUEUE_URL, AttributeNames: ['QueueArn'] }),
    );
    const sent = await sesClient().send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@example.com',
        Destination: { ToAddresses: ['someone@example.com'] },
        Content: { Simple: { Subject: { Data: 'hello' }, Body: { Text: { Data: 'hi' } } } },
      }),
    );
    const inbox = (await (await fetch(`${stack!.endpoints.ses}/store`)).json()) as { emails: unknown[] };
    // Assess
    expect(config.TABLE_NAME).toBe('winback');
    expect(config.WRITE_KEYS).toEqual({ [stack!.writeKey]: 'local' });
    // SNS notifications are verified locally too, against the data dir's own signing key only.
    expect(config.VERIFY_SNS_SIGNATURE).toBe(true);
    expect(config.LOCAL_SNS_SIGNING_CERT_URL).toMatch(/^file:\/\/\/.*\/sns-signing-cert\.pem$/);
    expect(queue.Attributes?.QueueArn).toBe(stack!.queues.events.arn);
    expect(sent.MessageId).toBeTruthy();
    expect(inbox.emails).toHaveLength(1);
  });

  it('refuses a second stack in the same process', async () => {
    // Act
    const second = await startLocalStack({ dataDir: path.join(dataDir, 'other'), port: 0, quiet: true }).catch((e: unknown) => e);
    // Assess
    expect(second).toBeInstanceOf(StackInProcessError);
  });

  it('lets another command connect to the running stack', async () => {
    // Act
    const connected = await connectToRunningStack(dataDir);
    // Assess
    expect(connected.embedded).toBe(false);
    expect(connected.apiUrl).toBe(stack!.apiUrl);
    expect(connected.writeKey).toBe(stack!.writeKey);
    expect(connected.queues.events.url).toBe(stack!.queues.events.url);
    await expect(connected.drain({ timeoutMs: 5000 })).resolves.toBeUndefined();
  });

  it('stops cleanly and removes endpoints.json', async () => {
    // Prepare
    const apiUrl = stack!.apiUrl;
    // Act
    await stack!.stop();
    await stack!.stop(); // idempotent
    stack = undefined;
    // Assess
    expect(await exists(endpointsFile())).toBe(false);
    await expect(fetch(`${apiUrl}/healthz`)).rejects.toThrow();
    await expect(connectToRunningStack(dataDir)).rejects.toBeInstanceOf(StackNotRunningError);
  });

  it('restarts on the same data dir with the data and the write key, ignoring a stale endpoints.json', async () => {
    // Prepare: what a crashed stack leaves behind
    await writeFile(
      endpointsFile(),
      JSON.stringify({
        apiUrl: 'http://127.0.0.1:1',
        inboxUrl: 'http://127.0.0.1:1/',
        writeKey: 'x',
        dynamodb: 'http://127.0.0.1:1',
        sqs: 'http://127.0.0.1:1',
        ses: 'http://127.0.0.1:1',
        tableName: 'winback',
        queues: {
          events: 'http://127.0.0.1:1/q',
          eventsDlq: 'http://127.0.0.1:1/q',
          emailEvents: 'http://127.0.0.1:1/q',
          emailEventsDlq: 'http://127.0.0.1:1/q',
        },
        pid: 999_999,
        startedAt: new Date().toISOString(),
      }),
    );
    // Act
    stack = await startLocalStack({ dataDir, port: 0, quiet: true });
    const item = await dynamoClient().send(new GetCommand({ TableName: 'winback', Key: { pk: 'test#restart', sk: 'item' } }));
    // Assess
    expect(item.Item).toEqual({ pk: 'test#restart', sk: 'item', value: 42 });
    expect(stack.writeKey).toBe(firstWriteKey);
    const written = JSON.parse(await readFile(endpointsFile(), 'utf8')) as { pid: number; apiUrl: string };
    expect(written).toMatchObject({ pid: process.pid, apiUrl: stack.apiUrl });
    await stack.stop();
    stack = undefined;
  });
});

describe('startLocalStack on a busy port', () => {
  it('fails with PortInUseError and leaves nothing running behind', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      // Act
      const failed = await startLocalStack({ dataDir, port, quiet: true }).catch((e: unknown) => e);
      // Assess: the error names the port, and the process can start a stack right after
      expect(failed).toBeInstanceOf(PortInUseError);
      expect((failed as PortInUseError).port).toBe(port);
      expect(await exists(endpointsFile())).toBe(false);
      const next = await startLocalStack({ dataDir, port: 0, quiet: true });
      await next.stop();
    } finally {
      blocker.close();
    }
  });
});

describe('withStack', () => {
  it('starts an embedded stack when none runs, and stops it afterwards', async () => {
    // Act
    const seen = await withStack(dataDir, async (s) => {
      const health = await fetch(`${s.apiUrl}/healthz`);
      return { embedded: s.embedded, status: health.status, recorded: await exists(endpointsFile()) };
    });
    // Assess
    expect(seen).toEqual({ embedded: true, status: 200, recorded: true });
    expect(await exists(endpointsFile())).toBe(false);
  });

  it('uses the running stack when there is one, and leaves it running', async () => {
    // Prepare
    const running = await startLocalStack({ dataDir, port: 0, quiet: true });
    try {
      // Act
      const seen = await withStack(dataDir, async (s) => ({ embedded: s.embedded, apiUrl: s.apiUrl }));
      // Assess
      expect(seen).toEqual({ embedded: false, apiUrl: running.apiUrl });
      expect((await fetch(`${running.apiUrl}/healthz`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });
});
