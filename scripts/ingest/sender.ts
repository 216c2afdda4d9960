import { MAX_BODY_BYTES } from '../../kernel/settings.js';
import { ApiUnreachableError } from './errors.js';
import { snsNotificationFor } from './sns.js';
import { localSnsSigner } from '../../functions/ingest/sns-signature.js';
import { RejectionTally, type RejectionExample } from './tally.js';

/**
 * Posts already-validated items to a running stack's ingest API the way a well-behaved client
 * does: Segment-sized batches per route, a few requests in flight, retries on 5xx / 429 with
 * exponential backoff (every write is idempotent, so a retry after an unclear failure converges),
 * and a count of what the API accepted and refused, with its reasons.
 *
 * Shared by `winback ingest`, `winback import` and `winback simulate`, so all three load data
 * through the very edge validation live clients meet.
 */

/** Segment's analytics-node flushes at 100 messages per request; we follow it. */
export const MAX_BATCH_ITEMS = 100;
/** Headroom under the API's body limit for the `{"batch":[...]}` wrapper and the write key. */
export const MAX_BATCH_BYTES = MAX_BODY_BYTES - 8 * 1024;
export const DEFAULT_IN_FLIGHT = 4;
/**
 * SES records go one SNS notification per request (a few KB each), so a batch's worth of them is
 * a hundred round trips; more of these small requests in flight keep the API busy.
 */
export const DEFAULT_NOTIFICATIONS_IN_FLIGHT = 16;
export const DEFAULT_RETRIES = 5;

export type SenderRoute = '/v1/batch' | '/v1/orders' | '/v1/email-events';

/**
 * One item for the API. `segment`: a Segment message (track / identify / page); `order`: a shop
 * order; `ses`: an SES event record, sent as one SNS notification (SNS delivers one record per
 * notification, and the API takes exactly that).
 */
export type SenderItem =
  | { readonly kind: 'segment'; readonly payload: unknown }
  | { readonly kind: 'order'; readonly payload: unknown }
  | { readonly kind: 'ses'; readonly record: Record<string, unknown> };

export const ROUTE_OF: Readonly<Record<SenderItem['kind'], SenderRoute>> = {
  segment: '/v1/batch',
  order: '/v1/orders',
  ses: '/v1/email-events',
};

export interface ApiTarget {
  readonly apiUrl: string;
  readonly writeKey: string;
}

export interface SenderOptions {
  readonly maxItems?: number;
  readonly maxBytes?: number;
  /** Batch requests (/v1/batch, /v1/orders) in flight at once (default 4). */
  readonly inFlight?: number;
  /** Single-notification requests (/v1/email-events) in flight at once (default 16). */
  readonly notificationsInFlight?: number;
  /** Retries of a request answered 5xx / 429 or failing at the network (default 5). */
  readonly retries?: number;
  /** First backoff; doubles per retry (default 200 ms). */
  readonly backoffMs?: number;
  /** Called after each request settles with the items settled so far (accepted + refused by the API). */
  readonly onSettled?: (settled: number) => void;
  /** For tests: a fetch that fails on purpose. */
  readonly fetch?: typeof fetch;
}

export interface RouteCounts {
  accepted: number;
  rejected: number;
}

export interface SendSummary {
  /** Items the API answered 200 for (durably enqueued). */
  readonly accepted: number;
  /** Items refused, by the API or before sending (see `reasons`). */
  readonly rejected: number;
  readonly reasons: Record<string, number>;
  readonly examples: RejectionExample[];
  readonly byRoute: Readonly<Record<SenderRoute, RouteCounts>>;
  readonly requests: number;
  /** Requests repeated after a 5xx / 429 / network failure. */
  readonly retries: number;
}

interface Pending {
  readonly route: SenderRoute;
  readonly parts: string[];
  readonly refs: Array<string | number>;
  bytes: number;
}

const WRAPPER_BYTES = Buffer.byteLength('{"batch":[]}');

export class ApiSender {
  private readonly auth: string;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly batchLimit: number;
  private readonly notificationLimit: number;
  private readonly retryLimit: number;
  private readonly backoffMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly onSettled: (settled: number) => void;
  /** The local stack's SNS signer, when this process is pointed at one (undefined for AWS). */
  private readonly signSns = localSnsSigner();

  private readonly tally = new RejectionTally();
  private readonly byRoute: Record<SenderRoute, RouteCounts> = {
    '/v1/batch': { accepted: 0, rejected: 0 },
    '/v1/orders': { accepted: 0, rejected: 0 },
    '/v1/email-events': { accepted: 0, rejected: 0 },
  };
  private readonly pending: Partial<Record<SenderRoute, Pending>> = {};
  private readonly batchesInFlight = new Set<Promise<void>>();
  private readonly notificationsInFlight = new Set<Promise<void>>();
  private accepted = 0;
  private settled = 0;
  private requests = 0;
  private retried = 0;
  /** A request that could not reach the API at all: stops the run at the next add/close. */
  private fatal: Error | undefined;

  constructor(
    private readonly target: ApiTarget,
    opts: SenderOptions = {},
  ) {
    this.auth = `Basic ${Buffer.from(`${target.writeKey}:`).toString('base64')}`;
    this.maxItems = opts.maxItems ?? MAX_BATCH_ITEMS;
    this.maxBytes = opts.maxBytes ?? MAX_BATCH_BYTES;
    this.batchLimit = opts.inFlight ?? DEFAULT_IN_FLIGHT;
    this.notificationLimit = opts.notificationsInFlight ?? DEFAULT_NOTIFICATIONS_IN_FLIGHT;
    this.retryLimit = opts.retries ?? DEFAULT_RETRIES;
    this.backoffMs = opts.backoffMs ?? 200;
    this.fetchFn = opts.fetch ?? fetch;
    this.onSettled = opts.onSettled ?? (() => undefined);
  }

  /**
   * Queues one item; resolves once it is in a batch (sending full batches as they fill, and
   * waiting while `inFlight` requests are outstanding, so a producer cannot outrun the API).
   * `ref` identifies the item in rejection examples (a line number, an order id).
   */
  async add(item: SenderItem, ref: string | number = ''): Promise<void> {
    this.throwIfFatal();
    const route = ROUTE_OF[item.kind];
    if (item.kind === 'ses') {
      // Stamped at sending (SNS's publish time; the record keeps its own) and, on the local stack,
      // signed with its key: the API refuses unsigned and stale notifications as it does in AWS.
      const notification = { ...snsNotificationFor(item.record), Timestamp: new Date().toISOString() };
      const body = JSON.stringify(this.signSns ? this.signSns(notification) : notification);
      const size = Buffer.byteLength(body);
      if (size > this.maxBytes) return this.rejectLocally(route, ref, `notification is ${size} bytes; the request limit is ${this.maxBytes}`);
      return this.dispatch({ route, parts: [body], refs: [ref], bytes: size });
    }
    const part = JSON.stringify(item.payload);
    const size = Buffer.byteLength(part) + 1;
    if (size + WRAPPER_BYTES > this.maxBytes) {
      return this.rejectLocally(route, ref, `item is ${size} bytes; the request limit is ${this.maxBytes}`);
    }
    let batch = this.pending[route];
    if (batch && (batch.parts.length >= this.maxItems || batch.bytes + size > this.maxBytes)) {
      delete this.pending[route];
      await this.dispatch(batch);
      batch = undefined;
    }
    batch ??= this.pending[route] = { route, parts: [], refs: [], bytes: WRAPPER_BYTES };
    batch.parts.push(part);
    batch.refs.push(ref);
    batch.bytes += size;
  }

  /** Counts an item the caller refused before sending (e.g. a line that fails validation). */
  reject(ref: string | number, reason: string): void {
    this.tally.add(ref, reason);
  }

  /** Sends what is left, waits for every request, and returns the counts. */
  async close(): Promise<SendSummary> {
    for (const route of Object.keys(this.pending) as SenderRoute[]) {
      const batch = this.pending[route];
      delete this.pending[route];
      if (batch && batch.parts.length > 0) await this.dispatch(batch);
    }
    await Promise.all([...this.batchesInFlight, ...this.notificationsInFlight]);
    this.throwIfFatal();
    return this.summary();
  }

  summary(): SendSummary {
    return {
      accepted: this.accepted,
      rejected: this.tally.count,
      reasons: this.tally.reasons,
      examples: this.tally.examples,
      byRoute: {
        '/v1/batch': { ...this.byRoute['/v1/batch'] },
        '/v1/orders': { ...this.byRoute['/v1/orders'] },
        '/v1/email-events': { ...this.byRoute['/v1/email-events'] },
      },
      requests: this.requests,
      retries: this.retried,
    };
  }

  private rejectLocally(route: SenderRoute, ref: string | number, reason: string): void {
    this.byRoute[route].rejected++;
    this.tally.add(ref, reason);
  }

  private throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  private async dispatch(batch: Pending): Promise<void> {
    const single = batch.route === '/v1/email-events';
    const pool = single ? this.notificationsInFlight : this.batchesInFlight;
    const limit = single ? this.notificationLimit : this.batchLimit;
    // post() never rejects into the pool: a fatal error is kept and rethrown by add/close.
    const p: Promise<void> = this.post(batch)
      .catch((error: unknown) => {
        this.fatal ??= error instanceof Error ? error : new ApiUnreachableError(String(error));
      })
      .finally(() => pool.delete(p));
    pool.add(p);
    while (pool.size >= limit) await Promise.race(pool);
    this.throwIfFatal();
  }

  private async post(batch: Pending): Promise<void> {
    const body = batch.route === '/v1/email-events' ? (batch.parts[0] as string) : `{"batch":[${batch.parts.join(',')}]}`;
    const n = batch.parts.length;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let detail: string;
      try {
        this.requests++;
        const res = await this.fetchFn(`${this.target.apiUrl}${batch.route}`, {
          method: 'POST',
          headers: { authorization: this.auth, 'content-type': 'application/json' },
          body,
        });
        status = res.status;
        if (status === 200) {
          await res.body?.cancel();
          this.accepted += n;
          this.byRoute[batch.route].accepted += n;
          this.settle(n);
          return;
        }
        detail = ((await res.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${status}`;
      } catch (error) {
        // fetch rejects only when no HTTP answer came back (refused, reset, DNS).
        if (attempt >= this.retryLimit) {
          throw new ApiUnreachableError(`the API at ${this.target.apiUrl} did not answer: ${(error as Error).message}`, { cause: error });
        }
        this.retried++;
        await this.backoff(attempt);
        continue;
      }
      if ((status >= 500 || status === 429) && attempt < this.retryLimit) {
        this.retried++;
        await this.backoff(attempt);
        continue;
      }
      // The API takes or refuses a request whole, so every item in it shares the reason.
      this.byRoute[batch.route].rejected += n;
      const what = batch.route === '/v1/email-events' ? 'notification' : 'batch';
      this.tally.add(batch.refs[0] ?? '', `${what} rejected by the API: ${detail}`, n);
      this.settle(n);
      return;
    }
  }

  private settle(n: number): void {
    this.settled += n;
    this.onSettled(this.settled);
  }

  private backoff(attempt: number): Promise<void> {
    // Jitter spreads the retries of concurrent requests so they do not collide again.
    const ms = Math.min(this.backoffMs * 2 ** attempt, 10_000) * (0.5 + Math.random() / 2);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
