import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { localSnsSigner } from '../../functions/ingest/sns-signature.js';
import { snsNotificationOf } from '../../functions/events/sns-notification.js';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack.js';

export interface LocalStackTestOptions {
  readonly visibilityTimeoutSeconds?: number;
  /** Fills the data dir before the stack starts on it (e.g. copyDemoData). */
  readonly populate?: (dataDir: string) => Promise<void>;
}

/** Starts a whole local stack (emulators + runtime) on random ports for one test file. */
export function useLocalStack(options: LocalStackTestOptions = {}): () => LocalStack {
  let stack: LocalStack | undefined;
  let dataDir = '';
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'winback-test-'));
    await options.populate?.(dataDir);
    stack = await startLocalStack({ dataDir, port: 0, quiet: true, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2 });
  }, options.populate ? 300_000 : undefined);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!stack) throw new Error('stack not started');
    return stack;
  };
}

export async function post(
  stack: LocalStack,
  path: string,
  body: unknown,
  init: { key?: string | null; headers?: Record<string, string>; raw?: string | Buffer } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const key = init.key === undefined ? stack.writeKey : init.key;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(init.headers ?? {}) };
  if (key !== null) headers['authorization'] = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers,
    body: init.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/**
 * Wraps an SES record the way SNS delivers it to an HTTP endpoint or (raw delivery off) to SQS,
 * signed with the local stack's SNS key (the API verifies it as it verifies SNS's in AWS).
 */
export function snsNotification(record: unknown, messageId = `sns-${Math.random().toString(16).slice(2)}`): Record<string, unknown> {
  const notification = snsNotificationOf(record, { messageId, timestamp: new Date().toISOString() });
  const sign = localSnsSigner();
  return sign ? sign(notification) : notification;
}
