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

/** What a sender waits on before each SendEmail. */
export interface RateLimiter {
  readonly ratePerSecond: number;
  take(): Promise<void>;
}

/**
 * At most `ratePerSecond` grants in any window of one second, measured on the grants themselves
 * (the times they were given, not the times reserved): a token bucket lets `burst + rate` through
 * in the first second, and a late timer can squeeze one more into a window. SES's MaxSendRate is
 * per second, so this is what the sender uses. The window is a little over a second (`marginMs`,
 * 50 ms: with 5 ms, work run between a grant and its SendEmail call on a loaded 2-core machine
 * once let 15 calls into one second in bench:faults) so that the calls keep the bound too. Grants are given
 * in call order (a queue), so concurrent senders wait fairly.
 */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly grants: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly perWindow: number;

  constructor(
    readonly ratePerSecond: number,
    private readonly marginMs = 50,
    private readonly clock: Clock = realClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be > 0');
    // A fractional rate (0.5/s) allows one grant per 1/rate seconds instead.
    this.perWindow = Math.max(1, Math.floor(ratePerSecond));
  }

  take(): Promise<void> {
    const turn = this.chain.then(() => this.grant());
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  private async grant(): Promise<void> {
    const windowMs = (this.perWindow / this.ratePerSecond) * 1000 + this.marginMs;
    for (;;) {
      const now = this.clock.now();
      if (this.grants.length < this.perWindow) {
        this.grants.push(now);
        return;
      }
      const oldest = this.grants[0]!;
      if (now - oldest >= windowMs) {
        this.grants.shift();
        this.grants.push(now);
        return;
      }
      await this.clock.sleep(oldest + windowMs - now);
    }
  }
}

let shared: RateLimiter | undefined;

/** The process-wide SES send limiter (recreated when the configured rate changes). */
export function sendRateLimiter(ratePerSecond: number): RateLimiter {
  if (!shared || shared.ratePerSecond !== ratePerSecond) shared = new SlidingWindowLimiter(ratePerSecond);
  return shared;
}
