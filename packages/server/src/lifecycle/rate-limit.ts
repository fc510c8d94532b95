/** Outcome of asking the limiter for one event. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly strikes: number };

/** Where one client's token bucket lives (its connection's record): the time at which it is full again, if it is not full. */
export interface RateBucket {
  /** When the bucket is full again (ms since the epoch); `undefined` while it is full (no bucket held). */
  rateFullAt: number | undefined;
}

const ALLOWED: RateDecision = { allowed: true };
/** Slack for the rounding of fractional token periods (`windowMs / events`), far below a millisecond. */
const ROUNDING_MS = 1e-6;

/**
 * Token bucket per connection: `events` tokens, refilled evenly over `windowMs`. A bucket is one number kept by its
 * holder, the time at which it is full again (it holds `events − (fullAt − now) / msPerToken` tokens), and exists only
 * while it is not full; the limiter counts the buckets held. Refusals in a row are counted for the buckets being
 * refused only (weakly: they go with their connection).
 */
export class TokenBucketLimiter {
  readonly #strikes = new WeakMap<RateBucket, number>();
  readonly #msPerToken: number;
  readonly #windowMs: number;
  #size = 0;

  constructor(options: { events: number; windowMs: number }) {
    this.#msPerToken = options.windowMs / options.events;
    this.#windowMs = options.windowMs;
  }

  /** Spends one token of `bucket` if it has one. */
  take(bucket: RateBucket, now: number): RateDecision {
    const held = bucket.rateFullAt;
    // Spending a token moves the time the bucket is full again by one token's period; an empty bucket is a full window behind.
    const fullAt = Math.max(now, held ?? now) + this.#msPerToken;
    const overdrawnMs = fullAt - now - this.#windowMs;
    if (overdrawnMs <= ROUNDING_MS) {
      if (held === undefined) this.#size += 1;
      bucket.rateFullAt = fullAt;
      this.#strikes.delete(bucket);
      return ALLOWED;
    }
    const strikes = (this.#strikes.get(bucket) ?? 0) + 1;
    this.#strikes.set(bucket, strikes);
    return { allowed: false, retryAfterMs: Math.ceil(overdrawnMs - ROUNDING_MS), strikes };
  }

  /** Time until `bucket` is full again. */
  msUntilFull(bucket: RateBucket, now: number): number {
    return Math.max(0, Math.ceil((bucket.rateFullAt ?? now) - now));
  }

  /** Gives `bucket` (holding none) the state a bucket of the same client left (when it is full again), unless that one refilled by `now`. */
  restore(bucket: RateBucket, fullAt: number, now: number): void {
    if (bucket.rateFullAt !== undefined || fullAt <= now) return;
    bucket.rateFullAt = fullAt;
    this.#size += 1;
  }

  /** Drops `bucket` (its connection is gone, or it refilled). */
  delete(bucket: RateBucket): void {
    if (bucket.rateFullAt === undefined) return;
    bucket.rateFullAt = undefined;
    this.#size -= 1;
    this.#strikes.delete(bucket);
  }

  /** Drops the buckets of `holders` that refilled completely: they hold nothing a fresh bucket would not. Returns how many. */
  purgeExpired(holders: Iterable<RateBucket>, now: number): number {
    let purged = 0;
    for (const bucket of holders) {
      const fullAt = bucket.rateFullAt;
      if (fullAt !== undefined && fullAt <= now) {
        this.delete(bucket);
        purged += 1;
      }
    }
    return purged;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#size;
  }
}
