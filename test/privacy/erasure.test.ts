import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { post, useLocalStack } from '../helpers/stack.js';
import { winback } from '../helpers/cli.js';
import { SHOPIFY_SECRET, sendShopify, shopifyBody, shopifyFixture } from '../helpers/shopify-webhooks.js';
import { localClientConfig } from '../../scripts/local/emulators.js';
import type { LocalStack } from '../../scripts/local/stack.js';
import { getProfile } from '../../functions/store/profiles.js';
import { queryCustomerEvents } from '../../functions/store/events.js';
import { claimLedgerEntry } from '../../functions/store/ledger.js';
import { createEntry } from '../../functions/store/journey-entries.js';
import { writeScores } from '../../functions/store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { testScore } from '../helpers/scores.js';
import { getSuppressions, suppress } from '../../functions/store/suppression.js';
import { listComplianceRequests } from '../../functions/store/compliance-requests.js';
import { erasedAmong } from '../../functions/store/erasure-tombstones.js';
import { erasedCustomers, erasureKey } from '../../functions/privacy/erasure-service.js';
import { sweepExpiredItems } from '../../functions/store/retention.js';
import { sweepIntervalMs } from '../../scripts/local/retention-sweeper.js';
import { needles, type Person } from '../../scripts/bench/faults/erasure.js';
import { DirectoryJobObjects } from '../../functions/store/job-objects.js';
import { buildFeatureShards, planSegments, type FeatureShard } from '../../functions/jobs/distributed-jobs.js';
import type { Segment } from '../../functions/jobs/distributed-events.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { customerHash, listSnapshotRuns, readScoreSnapshots, writeScoreSnapshot } from '../../models/registry/backtest.js';

// The stack reads the Shopify key as `winback up` does.
process.env['WINBACK_SHOPIFY_SECRET'] = SHOPIFY_SECRET;
const stackOf = useLocalStack();

const alice: Person = { userId: 'usr-alice-7f3a', anonymousId: 'anon-alice-9c2e', legacyId: 'legacy-alice-41d0', email: 'alice.zephyrine@example.org', name: 'Alice Zephyrine', phone: '+15550001111' };
const bob: Person = { userId: 'usr-bob-2b8e', anonymousId: 'anon-bob-5d61', legacyId: 'legacy-bob-8e07', email: 'bob.quillfeather@example.org', name: 'Bob Quillfeather', phone: '+15550002222' };

const score = (customerId: string): CustomerScore => testScore(customerId, '2026-03-01T00:00:00.000Z', { orders: 1 });

/** Everything a customer leaves in winback: anonymous views, identify, alias, a Shopify order, a score, a send, a journey, a complaint. */
async function fullHistory(stack: LocalStack, p: Person, shop: string): Promise<void> {
  const t = (m: number) => new Date(Date.UTC(2026, 1, 1, 0, m)).toISOString();
  await post(stack, '/v1/page', { anonymousId: p.anonymousId, name: 'Home', messageId: `pg1-${p.userId}`, timestamp: t(1) });
  await post(stack, '/v1/page', { anonymousId: p.anonymousId, name: 'Shoes', messageId: `pg2-${p.userId}`, timestamp: t(2) });
  await post(stack, '/v1/track', { userId: p.legacyId, event: 'Signed Up', messageId: `tr-${p.userId}`, timestamp: t(3) });
  await post(stack, '/v1/identify', { userId: p.userId, anonymousId: p.anonymousId, messageId: `id-${p.userId}`, timestamp: t(4), traits: { email: p.email, name: p.name, phone: p.phone } });
  await post(stack, '/v1/alias', { previousId: p.legacyId, userId: p.userId, messageId: `al-${p.userId}`, timestamp: t(5) });
  await stack.drain({ timeoutMs: 30_000 });
  const sample = shopifyFixture('orders-create');
  const order = { ...sample, id: `${sample.id}`.slice(0, -2) + (p === alice ? '11' : '22'), cancelled_at: null, financial_status: 'paid', customer: { ...sample.customer, id: p === alice ? '7001001' : '7002002', email: p.email, phone: p.phone, first_name: p.name.split(' ')[0], last_name: p.name.split(' ')[1] } };
  expect((await sendShopify(stack, 'orders/create', shopifyBody(order), { shop })).status).toBe(200);
  await stack.drain({ timeoutMs: 30_000 });
  await writeScores(stack.tableName, [score(p.userId)], 0.6);
  await claimLedgerEntry(stack.tableName, { campaignId: 'winback-erasure', customerId: p.userId, stepId: 's1', entryId: `e-${p.userId}`, variant: 'a', group: 'treatment', transactional: false, status: 'pending', claimId: 'c1', now: new Date() });
  await createEntry(stack.tableName, { campaignId: 'winback-erasure', customerId: p.userId, triggerId: 't1', triggerType: 'manual', executionName: `x-${p.userId}`, group: 'treatment', variant: 'a', enteredAt: t(6), status: 'active' });
  await suppress(stack.tableName, p.email, { reason: 'complaint', at: t(7), eventId: `cmp-${p.userId}` });
  const ses = new SESv2Client(localClientConfig(stack.endpoints.ses));
  await ses.send(new SendEmailCommand({ FromEmailAddress: 'shop@example.com', Destination: { ToAddresses: [p.email] }, Content: { Simple: { Subject: { Data: `Hi ${p.name}` }, Body: { Text: { Data: 'We miss you' } } } } }));
  ses.destroy();
}

/** Every item of every table, as text. */
async function allTables(stack: LocalStack): Promise<string> {
  const raw = new DynamoDBClient(localClientConfig(stack.endpoints.dynamodb));
  const doc = DynamoDBDocumentClient.from(raw);
  const parts: string[] = [];
  try {
    for (const name of (await raw.send(new ListTablesCommand({}))).TableNames ?? []) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
        parts.push(JSON.stringify(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
    }
  } finally {
    raw.destroy();
  }
  return parts.join('\n');
}

/** The files under the data dir that contain any of the strings (bytes, as written). */
function filesContaining(dir: string, strings: readonly string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const bytes = readFileSync(file);
        // dynalite's LevelDB keys carry the key attributes hex-encoded: both forms are searched.
        for (const s of strings) if (bytes.includes(Buffer.from(s)) || bytes.includes(Buffer.from(Buffer.from(s).toString('hex')))) hits.push(`${file.slice(dir.length)}: ${s}`);
      }
    }
  };
  walk(dir);
  return hits;
}

async function inboxRecipients(stack: LocalStack): Promise<string[]> {
  const res = await fetch(`${stack.endpoints.ses}/store`);
  const body = (await res.json()) as { emails: Array<{ destination: { to: string[] } }> };
  return body.emails.flatMap((e) => e.destination.to);
}

/**
 * What the jobs leave in the data dir: a distributed feature build's manifest and shards (in the
 * directory standing in for the job bucket, as the job stack and bench:scale write them) and a
 * scoring run's score snapshot in the registry (models/snapshots/).
 */
async function jobFiles(stack: LocalStack, people: readonly Person[]): Promise<{ objects: DirectoryJobObjects; registry: FileModelStore }> {
  const objects = new DirectoryJobObjects('winback-local-jobs', join(stack.dataDir, 'buckets', 'winback-local-jobs'));
  const asOf = '2026-03-01T00:00:00.000Z';
  const plan = await planSegments(stack.tableName, objects, `jobs/features/${asOf}/manifest.json`, 1);
  const segments = JSON.parse(await objects.get(plan.manifest.key)) as Segment[];
  await buildFeatureShards({ table: stack.tableName, objects, segments, asOf: new Date(asOf), features: { bucket: objects.bucket, prefix: `jobs/features/${asOf}/shards` } });
  const registry = new FileModelStore(join(stack.dataDir, 'models'));
  const scores = people.map((p, i) => ({ customerId: p.userId, churnProbability: 0.5 + i / 10, purchasePropensity: 0.2 }));
  await writeScoreSnapshot(registry, { scoredAt: '2026-03-01T04:00:00.000Z', part: 0, models: { churn: 'churn-test', propensity: 'propensity-test' }, scores });
  return { objects, registry };
}

async function shardRows(objects: DirectoryJobObjects): Promise<string[]> {
  const ids: string[] = [];
  for (const key of await objects.list('jobs/features/')) {
    if (key.includes('/shards/')) ids.push(...(JSON.parse(await objects.get(key)) as FeatureShard).customers.map((c) => c.customerId));
  }
  return ids;
}

async function snapshotHashes(registry: FileModelStore): Promise<string[]> {
  const runs = await listSnapshotRuns(registry);
  return (await readScoreSnapshots(registry, runs.flatMap((r) => r.keys))).flatMap((s) => Object.keys(s.scores));
}

describe('winback customers erase', () => {
  it('leaves none of the customer in any table, file of the data dir or the inbox; the other customer is untouched; again is fine', async () => {
    const stack = stackOf();
    const shop = 'erasure.myshopify.com';
    await fullHistory(stack, alice, shop);
    await fullHistory(stack, bob, shop);
    const { objects, registry } = await jobFiles(stack, [alice, bob]);
    expect((await shardRows(objects)).filter((id) => id === alice.userId || id === bob.userId).sort()).toEqual([alice.userId, bob.userId]);
    expect(await snapshotHashes(registry)).toEqual(expect.arrayContaining([customerHash(alice.userId), customerHash(bob.userId)]));
    // The checks can see what they look for: before the erasure both customers are everywhere.
    expect(await getProfile(stack.tableName, alice.userId)).toMatchObject({ email: alice.email, traits: { name: alice.name, phone: alice.phone } });
    const before = await allTables(stack);
    for (const s of [...needles(alice), ...needles(bob)].filter((s) => s !== alice.legacyId && s !== bob.legacyId)) expect(before).toContain(s);
    const onDisk = new Set(filesContaining(stack.dataDir, needles(alice)).map((hit) => hit.slice(hit.lastIndexOf(': ') + 2)));
    expect([...onDisk].sort()).toEqual([...needles(alice)].sort());
    const bobProfile = await getProfile(stack.tableName, bob.userId);
    const bobEvents = await queryCustomerEvents(stack.tableName, bob.userId);
    expect(bobEvents.some((e) => e.kind === 'order')).toBe(true);

    const erased = await winback('customers', 'erase', alice.userId, '--data-dir', stack.dataDir);

    expect(erased.code, erased.err).toBe(0);
    expect(erased.out).toMatch(/^erased usr-alice-7f3a: \d+ records \(log id [\w-]{16}\)$/);
    const after = await allTables(stack);
    expect(needles(alice).filter((s) => after.includes(s) || after.includes(s.toLowerCase()))).toEqual([]);
    expect(filesContaining(stack.dataDir, needles(alice))).toEqual([]);
    expect(await inboxRecipients(stack)).toEqual([bob.email]);
    // The jobs' files: the feature shards and the score snapshot keep bob's rows only (the
    // snapshot is keyed by a hash of the id, which the byte scan above cannot see).
    expect((await shardRows(objects)).filter((id) => id === alice.userId || id === bob.userId)).toEqual([bob.userId]);
    expect(await snapshotHashes(registry)).not.toContain(customerHash(alice.userId));
    expect(await snapshotHashes(registry)).toContain(customerHash(bob.userId));
    // The other customer: the same profile and events, still on disk and in the tables.
    expect(await getProfile(stack.tableName, bob.userId)).toEqual(bobProfile);
    expect(await queryCustomerEvents(stack.tableName, bob.userId)).toEqual(bobEvents);
    for (const s of needles(bob).filter((s) => s !== bob.legacyId)) expect(after).toContain(s);
    // The address stays suppressed (under its keyed hash), and training knows the id was erased.
    expect((await getSuppressions(stack.tableName, alice.email)).map((s) => s.reason)).toEqual(['complaint']);
    expect([...(await erasedAmong(stack.tableName, await erasureKey(), [alice.userId, bob.userId]))]).toEqual([alice.userId]);
    // Events of the erased id that come back (an old export re-imported) are left out of training.
    await post(stack, '/v1/track', { userId: alice.userId, event: 'Came Back', messageId: 'tr-back', timestamp: '2026-02-02T00:00:00Z' });
    await stack.drain({ timeoutMs: 30_000 });
    expect([...(await erasedCustomers(stack.tableName, [alice.userId, bob.userId]))]).toEqual([alice.userId]);
    await winback('customers', 'erase', alice.userId, '--data-dir', stack.dataDir);
    // Seen from the CLI: not found; erasing again finds nothing and succeeds.
    const shown = await winback('customers', 'show', alice.userId, '--data-dir', stack.dataDir);
    expect([shown.code, shown.out]).toEqual([1, `no customer ${alice.userId}`]);
    const again = await winback('customers', 'erase', alice.userId, '--data-dir', stack.dataDir);
    expect([again.code, again.out]).toEqual([0, expect.stringMatching(/^erased usr-alice-7f3a: nothing held/)]);
    const exported = await winback('customers', 'export', bob.userId, '--data-dir', stack.dataDir);
    expect(exported.code).toBe(0);
    const record = JSON.parse(exported.out) as { found: boolean; records: Record<string, unknown[]>; identities: { emails: string[] } };
    expect(record.found).toBe(true);
    expect(record.identities.emails).toEqual([bob.email]);
    expect(Object.keys(record.records)).toEqual(expect.arrayContaining(['events', 'orders', 'profileChanges', 'scores', 'messages', 'journeys', 'suppressions', 'externalIds', 'anonymousIds', 'emailIndex']));
  }, 60_000);

  it('refuses the privacy API without the admin key, and the write key is not one', async () => {
    const stack = stackOf();
    const anonymous = await post(stack, '/v1/erasure', { customerId: bob.userId }, { key: null });
    const withWriteKey = await post(stack, '/v1/erasure', { customerId: bob.userId });
    expect([anonymous.status, withWriteKey.status]).toEqual([401, 401]);
  });

  it("Shopify's customers/redact erases the customer when it arrives and leaves a receipt without personal data", async () => {
    const stack = stackOf();
    const shop = 'redact.myshopify.com';
    const email = 'carol.redact@example.org';
    await post(stack, '/v1/identify', { userId: 'usr-carol-31', messageId: 'id-carol', timestamp: '2026-01-01T00:00:00Z', traits: { email, phone: '+15550003333' } });
    await stack.drain({ timeoutMs: 30_000 });
    const body = { ...shopifyFixture('customers-redact'), shop_domain: shop, customer: { id: 424242, email, phone: '+15550003333' } };
    expect((await sendShopify(stack, 'customers/redact', shopifyBody(body), { shop })).status).toBe(200);
    await stack.drain({ timeoutMs: 30_000 });
    expect(await getProfile(stack.tableName, 'usr-carol-31')).toBeUndefined();
    expect((await listComplianceRequests(stack.tableName)).filter((r) => r.shop === shop)).toEqual([]);
    const tables = await allTables(stack);
    expect(tables).toContain('"topic":"customers/redact"');
    expect(['usr-carol-31', email, '+15550003333', '424242'].filter((s) => tables.includes(s))).toEqual([]);
  }, 30_000);
});

describe('retention', () => {
  it('the local sweep deletes what DynamoDB TTL would (events past EVENT_RETENTION_DAYS), and only that', async () => {
    const stack = stackOf();
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    await post(stack, '/v1/track', { userId: 'usr-old-ret', event: 'Old', messageId: 'ret-old', timestamp: daysAgo(800) });
    await post(stack, '/v1/track', { userId: 'usr-old-ret', event: 'Recent', messageId: 'ret-new', timestamp: daysAgo(10) });
    await stack.drain({ timeoutMs: 30_000 });
    const deleted = await sweepExpiredItems(stack.tableName, now);
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await queryCustomerEvents(stack.tableName, 'usr-old-ret')).map((e) => e.name)).toEqual(['Recent']);
    expect(await sweepExpiredItems(stack.tableName, now)).toBe(0);
  });

  it('runs locally only when asked (historical demo data would be swept away)', () => {
    expect([sweepIntervalMs({}), sweepIntervalMs({ WINBACK_RETENTION_SWEEP_MINUTES: '15' }), sweepIntervalMs({ WINBACK_RETENTION_SWEEP_MINUTES: '0' })]).toEqual([0, 900_000, 0]);
  });
});
