/**
 * A client-side token bucket: at most `ratePerSecond` takes per second on average, bursts up to
 * `burst`. Callers beyond the budget reserve a future slot (the balance goes negative) and wait
 * for it, so concurrent senders queue fairly instead of spinning. One bucket per process: in AWS
 * the account's MaxSendRate is shared by all concurrent Lambdas, so set SES_MAX_SEND_RATE to the
 * account rate divided by the sender concurrency (SES throttling is still retried with backoff).
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = Math.max(1, Math.floor(ratePerSecond)),
    private readonly clock: Clock = realClock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('rate must be > 0 and burst >= 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Resolves when the caller may proceed (at once while tokens remain). */
  async take(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    await this.clock.sleep((-this.tokens / this.ratePerSecond) * 1000);
  }
}

let shared: TokenBucket | undefined;

/** The process-wide SES send limiter (recreated when the configured rate changes). */
export function sendRateLimiter(ratePerSecond: number): TokenBucket {
  if (!shared || shared.ratePerSecond !== ratePerSecond) shared = new TokenBucket(ratePerSecond);
  return shared;
}
