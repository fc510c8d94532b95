/** Outcome of asking the limiter for one event. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly strikes: number };

const ALLOWED: RateDecision = { allowed: true };
/** Slack for the rounding of fractional token periods (`windowMs / events`), far below a millisecond. */
const ROUNDING_MS = 1e-6;

/**
 * Token bucket per key (socket id): `events` tokens, refilled evenly over `windowMs`. A bucket is one number, the time
 * at which it is full again (it holds `events − (fullAt − now) / msPerToken` tokens), and exists only while it is not
 * full; refusals in a row are counted for the keys being refused only.
 */
export class TokenBucketLimiter {
  readonly #fullAt = new Map<string, number>();
  readonly #strikes = new Map<string, number>();
  readonly #msPerToken: number;
  readonly #windowMs: number;

  constructor(options: { events: number; windowMs: number }) {
    this.#msPerToken = options.windowMs / options.events;
    this.#windowMs = options.windowMs;
  }

  /** Spends one token for `key` if it has one. */
  take(key: string, now: number): RateDecision {
    // Spending a token moves the time the bucket is full again by one token's period; an empty bucket is a full window behind.
    const fullAt = Math.max(now, this.#fullAt.get(key) ?? now) + this.#msPerToken;
    const overdrawnMs = fullAt - now - this.#windowMs;
    if (overdrawnMs <= ROUNDING_MS) {
      this.#fullAt.set(key, fullAt);
      this.#strikes.delete(key);
      return ALLOWED;
    }
    const strikes = (this.#strikes.get(key) ?? 0) + 1;
    this.#strikes.set(key, strikes);
    return { allowed: false, retryAfterMs: Math.ceil(overdrawnMs - ROUNDING_MS), strikes };
  }

  /** Time until `key`'s bucket is full again. */
  msUntilFull(key: string, now: number): number {
    return Math.max(0, Math.ceil((this.#fullAt.get(key) ?? now) - now));
  }

  /** Forgets `key` (its connection is gone). */
  delete(key: string): void {
    this.#fullAt.delete(key);
    this.#strikes.delete(key);
  }

  /** Drops buckets that refilled completely: they hold nothing a fresh bucket would not. Returns how many. */
  purgeExpired(now: number): number {
    let purged = 0;
    for (const [key, fullAt] of this.#fullAt) {
      if (fullAt <= now) {
        this.delete(key);
        purged += 1;
      }
    }
    return purged;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#fullAt.size;
  }
}
