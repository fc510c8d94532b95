/** Outcome of asking the limiter for one event. */
export type RateDecision =
  | { allowed: true }
  | { allowed: false; retryAfterMs: number; strikes: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Refused events since the last allowed one. */
  strikes: number;
}

/** Token bucket per key (socket id): `events` tokens, refilled evenly over `windowMs`. */
export class TokenBucketLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #capacity: number;
  readonly #refillPerMs: number;

  constructor(options: { events: number; windowMs: number }) {
    this.#capacity = options.events;
    this.#refillPerMs = options.events / options.windowMs;
  }

  /** Spends one token for `key` if it has one. */
  take(key: string, now: number): RateDecision {
    const bucket = this.#refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.strikes = 0;
      return { allowed: true };
    }
    bucket.strikes += 1;
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / this.#refillPerMs), strikes: bucket.strikes };
  }

  /** Time until `key`'s bucket is full again. */
  msUntilFull(key: string, now: number): number {
    const bucket = this.#buckets.get(key);
    if (!bucket) return 0;
    return Math.ceil((this.#capacity - this.#refilledTokens(bucket, now)) / this.#refillPerMs);
  }

  /** Forgets `key` (its connection is gone). */
  delete(key: string): void {
    this.#buckets.delete(key);
  }

  /** Drops buckets that refilled completely: they hold nothing a fresh bucket would not. Returns how many. */
  purgeExpired(now: number): number {
    let purged = 0;
    for (const [key, bucket] of this.#buckets) {
      if (this.#refilledTokens(bucket, now) >= this.#capacity) {
        this.#buckets.delete(key);
        purged += 1;
      }
    }
    return purged;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilledTokens(bucket: Bucket, now: number): number {
    return Math.min(this.#capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) * this.#refillPerMs);
  }

  #refill(key: string, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.#capacity, updatedAt: now, strikes: 0 };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    bucket.tokens = this.#refilledTokens(bucket, now);
    bucket.updatedAt = now;
    return bucket;
  }
}
