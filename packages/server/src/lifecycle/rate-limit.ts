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
/**
 * The grid token periods are kept to (ms): a double holds an epoch time (about 1.7e12 ms) to 2^-12 ms, so that whole
 * periods on a 2^-10 ms grid add up to epoch times exactly, and a full bucket's last token is never refused for rounding.
 */
const GRID_MS = 2 ** -10;
/** Slack for a clock that is not on the grid (fractional ms), far below a millisecond (and below a quarter of a period). */
const SLACK_MS = 2 ** -8;

/**
 * Token bucket per connection: `events` tokens, refilled evenly over `windowMs`. A bucket is one number kept by its
 * holder, the time at which it is full again (it holds `events − (fullAt − now) / msPerToken` tokens), and exists only
 * while it is not full; the limiter counts the buckets held. Refusals in a row are counted for the buckets being
 * refused only (weakly: they go with their connection). A token's period is `windowMs / events` on a grid of 2^-10 ms,
 * and the bucket holds `events` of them.
 */
export class TokenBucketLimiter {
  readonly #strikes = new WeakMap<RateBucket, number>();
  readonly #msPerToken: number;
  /** How far ahead of now an empty bucket is full again: `events` periods (`windowMs`, to the grid). */
  readonly #capacityMs: number;
  readonly #slackMs: number;
  #size = 0;

  constructor(options: { events: number; windowMs: number }) {
    this.#msPerToken = Math.max(GRID_MS, Math.round(options.windowMs / options.events / GRID_MS) * GRID_MS);
    this.#capacityMs = this.#msPerToken * options.events;
    this.#slackMs = Math.min(SLACK_MS, this.#msPerToken / 4);
  }

  /** Spends one token of `bucket` if it has one. */
  take(bucket: RateBucket, now: number): RateDecision {
    const held = bucket.rateFullAt;
    const base = this.#rebase(bucket, now);
    // Spending a token moves the time the bucket is full again by one token's period; an empty bucket is a full window behind.
    const fullAt = base + this.#msPerToken;
    const overdrawnMs = fullAt - now - this.#capacityMs;
    if (overdrawnMs <= this.#slackMs) {
      if (held === undefined) this.#size += 1;
      bucket.rateFullAt = fullAt;
      this.#strikes.delete(bucket);
      return ALLOWED;
    }
    const strikes = (this.#strikes.get(bucket) ?? 0) + 1;
    this.#strikes.set(bucket, strikes);
    return { allowed: false, retryAfterMs: Math.ceil(overdrawnMs - this.#slackMs), strikes };
  }

  /** Time until `bucket` is full again. */
  msUntilFull(bucket: RateBucket, now: number): number {
    return Math.max(0, Math.ceil(this.#fullAtBy(bucket.rateFullAt, now) - now));
  }

  /** Gives `bucket` (holding none) the state a bucket of the same client left (when it is full again), unless that one refilled by `now`. */
  restore(bucket: RateBucket, fullAt: number, now: number): void {
    if (bucket.rateFullAt !== undefined || fullAt <= now) return;
    bucket.rateFullAt = this.#fullAtBy(fullAt, now);
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
      if (fullAt === undefined) continue;
      if (fullAt <= now) {
        this.delete(bucket);
        purged += 1;
      } else {
        // Set before the clock went back, it refills within one window from now, and goes then.
        this.#rebase(bucket, now);
      }
    }
    return purged;
  }

  /**
   * When a bucket last full at `held` is full again, as of `now`: never later than one window from now (an empty
   * bucket), which a bucket only passes when the clock went back (an NTP step, a VM resumed): it would otherwise be
   * refused, and its client told to wait, for as long as the clock went back.
   */
  #fullAtBy(held: number | undefined, now: number): number {
    if (held === undefined || held <= now) return now;
    return held > now + this.#capacityMs + this.#slackMs ? now + this.#capacityMs : held;
  }

  /** `#fullAtBy` for `bucket`, kept in it when the clock went back (an empty bucket from now, refilling from now on). */
  #rebase(bucket: RateBucket, now: number): number {
    const held = bucket.rateFullAt;
    const base = this.#fullAtBy(held, now);
    if (held !== undefined && base < held) bucket.rateFullAt = base;
    return base;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#size;
  }
}
