import type { CallStats } from './meter-snapshot.js';

/** SQS bills requests in 64 KB chunks of payload. */
const SQS_CHUNK = 64 * 1024;

type Next = (args: any) => Promise<any>;

/**
 * SQS's share of the request meter: one call, billed by its payload in 64 KB chunks; receives
 * that return nothing are counted apart (idle long polls: a fixed cost, not per event).
 */
export async function meterSqsCall(next: Next, args: any, command: string, stats: CallStats): Promise<any> {
  const input = (args.input ?? {}) as Record<string, any>;
  const chunks = (bytes: number): number => Math.max(1, Math.ceil(bytes / SQS_CHUNK));
  let sent = 0;
  if (command === 'SendMessage') sent = messageBytes(input['MessageBody'], input['MessageAttributes']);
  if (command === 'SendMessageBatch') {
    for (const e of (input['Entries'] ?? []) as Array<Record<string, unknown>>) sent += messageBytes(e['MessageBody'], e['MessageAttributes']);
  }
  let result: any;
  try {
    result = await next(args);
  } catch (error) {
    stats.errors++;
    // A receive that ends in an error (locally: a long poll cut short when the poller stops) is an idle poll.
    if (command === 'ReceiveMessage') stats.emptyReceives++;
    else stats.billedRequests++;
    throw error;
  }
  if (command === 'ReceiveMessage') {
    const messages = (result?.output?.Messages ?? []) as Array<Record<string, unknown>>;
    if (messages.length === 0) {
      stats.emptyReceives++;
    } else {
      const received = messages.reduce((s, m) => s + messageBytes(m['Body'], m['MessageAttributes']), 0);
      stats.payloadBytes += received;
      stats.billedRequests += chunks(received);
    }
  } else {
    stats.payloadBytes += sent;
    stats.billedRequests += chunks(sent);
  }
  return result;
}

function messageBytes(body: unknown, attributes: unknown): number {
  let n = typeof body === 'string' ? Buffer.byteLength(body) : 0;
  for (const [name, v] of Object.entries((attributes ?? {}) as Record<string, Record<string, unknown>>)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(String(v['DataType'] ?? ''));
    if (typeof v['StringValue'] === 'string') n += Buffer.byteLength(v['StringValue']);
    if (v['BinaryValue'] instanceof Uint8Array) n += v['BinaryValue'].byteLength;
  }
  return n;
}
