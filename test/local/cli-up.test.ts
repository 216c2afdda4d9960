import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, sqsClient } from '../../functions/commons/clients.js';
import { StackAlreadyRunningError } from '../../scripts/local/errors.js';
import { connectToRunningStack, startLocalStack } from '../../scripts/local/stack.js';
import type { CliCommand } from '../../scripts/cli/command.js';
import { startWinbackUp, winbackWith } from '../helpers/cli.js';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'winback-cli-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('winback CLI dispatch', () => {
  const calls: Array<{ dataDir: string; values: Record<string, unknown>; positionals: readonly string[] }> = [];
  const show: CliCommand = {
    name: 'customers show',
    summary: 'show a customer',
    help: 'usage: winback customers show <id>',
    options: { json: { type: 'boolean' } },
    positionals: true,
    async run(ctx) {
      calls.push({ dataDir: ctx.dataDir, values: ctx.values, positionals: ctx.positionals });
      return 0;
    },
  };
  const up: CliCommand = { name: 'up', summary: 'run', help: 'usage: winback up', async run() { return 0; } };

  it('dispatches multi-word commands with global and command options', async () => {
    // Act
    const { code } = await winbackWith(['customers', 'show', 'c-1', '--json', '--data-dir', '/tmp/x'], [up, show]);
    // Assess
    expect(code).toBe(0);
    expect(calls).toEqual([{ dataDir: '/tmp/x', values: { json: true, 'data-dir': '/tmp/x' }, positionals: ['c-1'] }]);
  });

  it('lists commands on --help and exits 0', async () => {
    // Act
    const { code, out } = await winbackWith(['--help'], [up, show]);
    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/customers show\s+show a customer/);
    expect(out).toContain('--data-dir DIR');
  });

  it('exits 2 on an unknown command or option, with help on stderr', async () => {
    // Act
    const unknown = await winbackWith(['frobnicate'], [up]);
    const badOption = await winbackWith(['up', '--nope'], [up]);
    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    expect(badOption.code).toBe(2);
    expect(badOption.err).toContain('usage: winback up');
  });

  it('rejects a non-numeric --port before starting anything', async () => {
    // Act
    const { code, err } = await winbackWith(['up', '--port', 'abc', '--data-dir', dataDir]);
    // Assess
    expect(code).toBe(2);
    expect(err).toContain('--port must be an integer');
  });
});

describe('winback up (as a process)', () => {
  it('prints the API URL, inbox and write key, serves, and stops cleanly on SIGINT', async () => {
    // Prepare
    const { up, stdout, apiUrl, inboxUrl, writeKey } = await startWinbackUp(dataDir);
    try {
      // Act
      const health = await fetch(`${apiUrl}/healthz`);
      const inbox = await fetch(inboxUrl);
      const second = await startLocalStack({ dataDir, port: 0, quiet: true }).catch((e: unknown) => e);
      // Another process (a CLI command) attaches to the running stack through endpoints.json.
      const connected = await connectToRunningStack(dataDir);
      const queue = await sqsClient().send(
        new GetQueueAttributesCommand({ QueueUrl: process.env.EVENTS_QUEUE_URL, AttributeNames: ['QueueArn'] }),
      );
      await dynamoClient().send(new PutCommand({ TableName: 'winback', Item: { pk: 'test#cli', sk: 'x', n: 1 } }));
      const readBack = await dynamoClient().send(new GetCommand({ TableName: 'winback', Key: { pk: 'test#cli', sk: 'x' } }));
      up.child.kill('SIGINT');
      const code = await up.exited;
      // Assess
      expect(health.status).toBe(200);
      expect(inbox.status).toBe(200);
      expect(second).toBeInstanceOf(StackAlreadyRunningError);
      expect(connected).toMatchObject({ embedded: false, apiUrl, writeKey });
      expect(queue.Attributes?.QueueArn).toBe('arn:aws:sqs:us-east-1:000000000000:winback-events');
      expect(readBack.Item).toEqual({ pk: 'test#cli', sk: 'x', n: 1 });
      expect(writeKey).toMatch(/^wk_local_[0-9a-f]{32}$/);
      expect(stdout).toContain(`curl -X POST ${apiUrl}/v1/track -u '${writeKey}:'`);
      expect(code).toBe(0);
      expect(up.stderr).toContain('stopped');
      await expect(stat(path.join(dataDir, 'endpoints.json'))).rejects.toThrow();
    } finally {
      if (up.child.exitCode === null) up.child.kill('SIGKILL');
    }
  });
});
