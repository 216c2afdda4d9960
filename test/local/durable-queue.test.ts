import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { localClientConfig, startEmulators, type Emulators } from '../../scripts/local/emulators.js';
import { QueueJournalError } from '../../scripts/local/errors.js';
import { queueDepth } from '../../scripts/local/runtime.js';
import { decodeSqsBody, encodeSqsBody } from '../../scripts/local/sqs-body-codec.js';
import { journalPath, parseJournal } from '../../scripts/local/sqs-journal.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs();

/** fauxqs 1.9.2's own check (sqsTypes.js): what it refuses. */
const FAUXQS_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;

async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    if (!out.Messages?.length) return messages;
    messages.push(...out.Messages);
  }
}

async function withEmulators<T>(dataDir: string, fn: (emulators: Emulators, sqs: SQSClient) => Promise<T>): Promise<T> {
  const emulators = await startEmulators({ dataDir });
  const sqs = new SQSClient(localClientConfig(emulators.endpoints.sqs));
  try {
    return await fn(emulators, sqs);
  } finally {
    sqs.destroy();
    await emulators.stop();
  }
}

describe('local queues across a restart (the journal)', () => {
  it('queues again what was accepted and not deleted, exactly as sent, and forgets what was deleted or purged', async () => {
    // Prepare
    const dataDir = tempDir('winback-journal-');
    const kept = ['kept a😀 Zoë 👋', 'kept \uE000 private use, Ѐ and 𝄞'];
    await withEmulators(dataDir, async ({ queues }, sqs) => {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.events.url,
          MessageBody: kept[0],
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: 'web 🌍' },
            blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          },
        }),
      );
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queues.events.url,
          Entries: [
            { Id: 'done', MessageBody: 'processed' },
            { Id: 'kept', MessageBody: kept[1] },
          ],
        }),
      );
      const processed = (await receiveAll(sqs, queues.events.url)).find((m) => m.Body === 'processed')!;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.events.url, ReceiptHandle: processed.ReceiptHandle }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queues.emailEvents.url, MessageBody: 'purged' }));
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queues.emailEvents.url }));
    });

    // Act
    const replayed = await withEmulators(dataDir, async ({ queues }, sqs) => {
      const messages = await receiveAll(sqs, queues.events.url);
      const emailDepth = await queueDepth(sqs, queues.emailEvents.url);
      for (const m of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.events.url, ReceiptHandle: m.ReceiptHandle }));
      return { messages, emailDepth };
    });
    const third = await withEmulators(dataDir, async ({ queues }, sqs) => queueDepth(sqs, queues.events.url));

    // Assess: the SDK checked every MD5 on the way (send and receive)
    expect(replayed.messages.map((m) => m.Body).sort()).toEqual([...kept].sort());
    const withAttributes = replayed.messages.find((m) => m.Body === kept[0])!;
    expect(withAttributes.MessageAttributes?.['kind']?.StringValue).toBe('web 🌍');
    expect(Buffer.from(withAttributes.MessageAttributes?.['blob']?.BinaryValue ?? []).toJSON().data).toEqual([1, 2, 3]);
    expect(replayed.emailDepth).toBe(0);
    expect(third).toBe(0);
    expect((await stat(journalPath(dataDir))).mode & 0o777).toBe(0o600);
    expect(await readFile(journalPath(dataDir), 'utf8')).toBe('');
  });

  it('refuses to start on a journal with an unreadable record instead of dropping what it holds', async () => {
    // Prepare
    const dataDir = tempDir('winback-journal-');
    await mkdir(path.dirname(journalPath(dataDir)), { recursive: true });
    await writeFile(journalPath(dataDir), 'not json\n{"op":"purge","queue":"q"}\n');
    // Act
    const started = await startEmulators({ dataDir }).catch((err: unknown) => err);
    // Assess
    expect(started).toBeInstanceOf(QueueJournalError);
    expect((started as Error).message).toContain('line 1');
  });
});

describe('parseJournal', () => {
  const send = (id: string, queue = 'q', body = id): string => JSON.stringify({ op: 'send', queue, id, entry: { MessageBody: body } });

  it('keeps sends not deleted, in order, whatever order deletes were written in', () => {
    // Prepare
    const text = [
      send('1'),
      JSON.stringify({ op: 'del', queue: 'q', ids: ['3'] }),
      send('2', 'other'),
      send('3'),
      send('4'),
      JSON.stringify({ op: 'del', queue: 'q', ids: ['1'] }),
      '',
    ].join('\n');
    // Act
    const pending = parseJournal('journal', text);
    // Assess
    expect(pending).toEqual([
      { queue: 'other', entry: { MessageBody: '2' } },
      { queue: 'q', entry: { MessageBody: '4' } },
    ]);
  });

  it('drops what a purge cleared, and ignores a last line cut short by a crash', () => {
    // Prepare
    const text = `${send('1')}\n${send('2', 'other')}\n${JSON.stringify({ op: 'purge', queue: 'q' })}\n${send('5')}\n{"op":"send","qu`;
    // Act
    const pending = parseJournal('journal', text);
    // Assess
    expect(pending.map((p) => p.entry.MessageBody)).toEqual(['2', '5']);
  });

  it('names a damaged line that is not the last', () => {
    // Act
    const parse = (): unknown => parseJournal('journal', `${send('1')}\n{"op":"send"}\n${send('2')}\n`);
    // Assess
    expect(parse).toThrow(QueueJournalError);
    expect(parse).toThrow(/line 2/);
  });
});

describe('SQS body escaping for fauxqs', () => {
  it('round-trips every character real SQS allows, and what it sends fauxqs accepts', () => {
    // Prepare: a seeded walk over the allowed ranges, astral and the escape's own characters included
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const pick = (): number => {
      const ranges: Array<[number, number]> = [[0x20, 0x7e], [0x400, 0x7ff], [0xe000, 0xe002], [0xe000, 0xfffd], [0x10000, 0x10ffff], [0x1f600, 0x1f64f]];
      const [lo, hi] = ranges[next(ranges.length)]!;
      return lo + next(hi - lo + 1);
    };
    const samples = Array.from({ length: 300 }, () => String.fromCodePoint(...Array.from({ length: 1 + next(40) }, pick)));
    samples.push('a😀', 'Zoë 👋', '\uE000\uE000', '\uE000Ѐ', 'plain ascii');
    for (const body of samples) {
      // Act
      const escaped = encodeSqsBody(body);
      // Assess
      expect(FAUXQS_REFUSES.test(escaped)).toBe(false);
      expect(decodeSqsBody(escaped)).toBe(body);
    }
  });

  it('leaves bodies without astral or escape characters as they are', () => {
    // Act / Assess
    expect(encodeSqsBody('{"userId":"Zoë","n":1}')).toBe('{"userId":"Zoë","n":1}');
    expect(decodeSqsBody('{"userId":"Zoë","n":1}')).toBe('{"userId":"Zoë","n":1}');
  });

  it('leaves lone surrogates for the queue to refuse, as real SQS does', () => {
    // Act / Assess
    expect(FAUXQS_REFUSES.test(encodeSqsBody('bad \uD800 half'))).toBe(true);
  });
});
