import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter, type RateBucket } from './rate-limit';

const bucket = (): RateBucket => ({ rateFullAt: undefined });

describe('TokenBucketLimiter', () => {
  it('allows a full bucket, then refuses with the time until the next token', () => {
    const limiter = new TokenBucketLimiter({ events: 5, windowMs: 1000 });
    const a = bucket();
    for (let i = 0; i < 5; i += 1) expect(limiter.take(a, 0).allowed).toBe(true);
    expect(limiter.take(a, 0)).toEqual({ allowed: false, retryAfterMs: 200, strikes: 1 });
    expect(limiter.take(a, 0)).toMatchObject({ allowed: false, strikes: 2 });
    expect(limiter.take(a, 200)).toEqual({ allowed: true });
    expect(limiter.take(a, 200)).toMatchObject({ allowed: false, strikes: 1 });
  });

  it('keeps one bucket per holder and counts the buckets held', () => {
    const limiter = new TokenBucketLimiter({ events: 1, windowMs: 1000 });
    const a = bucket();
    const b = bucket();
    expect(limiter.take(a, 0).allowed).toBe(true);
    expect(limiter.take(b, 0).allowed).toBe(true);
    expect(limiter.take(a, 0).allowed).toBe(false);
    expect(limiter.size).toBe(2);
    limiter.delete(a);
    limiter.delete(a);
    expect(limiter.size).toBe(1);
    expect(a.rateFullAt).toBeUndefined();
  });

  it('purges buckets that refilled completely and keeps the others', () => {
    const limiter = new TokenBucketLimiter({ events: 10, windowMs: 1000 });
    const old = bucket();
    const recent = bucket();
    const full = bucket();
    limiter.take(old, 0);
    limiter.take(recent, 950);
    expect(limiter.purgeExpired([old, recent, full], 1000)).toBe(1);
    expect(limiter.size).toBe(1);
    expect(limiter.msUntilFull(recent, 1000)).toBe(50);
    limiter.delete(recent);
    expect(limiter.size).toBe(0);
  });

  it('restores a bucket another bucket of the client left, counted once, unless it refilled since', () => {
    const limiter = new TokenBucketLimiter({ events: 2, windowMs: 1000 });
    const left = bucket();
    limiter.take(left, 0);
    limiter.take(left, 0);
    const fullAt = left.rateFullAt!;
    limiter.delete(left);
    const next = bucket();
    limiter.restore(next, fullAt, 100);
    expect(limiter.size).toBe(1);
    expect(limiter.take(next, 100)).toMatchObject({ allowed: false });
    const late = bucket();
    limiter.restore(late, fullAt, fullAt);
    expect(late.rateFullAt).toBeUndefined();
    expect(limiter.size).toBe(1);
  });
});

describe('TokenBucketLimiter at epoch times', () => {
  const now = 1_760_000_000_123;

  it.each([
    [6, 1000],
    [7, 10_000],
    [60, 1000],
    [70, 10_000],
    [50, 10_000],
  ])('allows all %i events of a full bucket (window %i ms) when a token period is not a whole number of ms', (events, windowMs) => {
    const limiter = new TokenBucketLimiter({ events, windowMs });
    const a = bucket();
    for (let i = 0; i < events; i += 1) expect(limiter.take(a, now), `event ${i + 1}`).toEqual({ allowed: true });
    expect(limiter.take(a, now)).toMatchObject({ allowed: false, retryAfterMs: Math.ceil(windowMs / events) });
  });

  it.each([
    [1000, 1000],
    [2000, 1000],
    [6000, 10_000],
    [10_000, 30_000],
  ])('allows exactly %i events (window %i ms) at one instant, and one more per token period after', (events, windowMs) => {
    const limiter = new TokenBucketLimiter({ events, windowMs });
    const a = bucket();
    let allowed = 0;
    for (let i = 0; i < events * 3; i += 1) if (limiter.take(a, now).allowed) allowed += 1;
    expect(allowed).toBe(events);
    // Refilled long since: a full bucket again, no more.
    allowed = 0;
    for (let i = 0; i < events * 3; i += 1) if (limiter.take(a, now + 2 * windowMs).allowed) allowed += 1;
    expect(allowed).toBe(events);
  });

  it('keeps a client sending at the limit for a long time at the limit: no rounding lets it drift past it', () => {
    const limiter = new TokenBucketLimiter({ events: 7, windowMs: 1000 });
    const a = bucket();
    let allowed = 0;
    // 100 s of a client trying every millisecond.
    for (let ms = 0; ms < 100_000; ms += 1) if (limiter.take(a, now + ms).allowed) allowed += 1;
    expect(allowed).toBeGreaterThanOrEqual(7 + 699);
    expect(allowed).toBeLessThanOrEqual(7 + 700);
  });

  it('treats a bucket as at most one window behind after the clock went back: refused no longer than a window, then purged', () => {
    const limiter = new TokenBucketLimiter({ events: 5, windowMs: 1000 });
    const a = bucket();
    const b = bucket();
    expect(limiter.take(a, now)).toEqual({ allowed: true });
    for (let i = 0; i < 5; i += 1) limiter.take(b, now);
    const back = now - 3_600_000;
    // Its tokens were spent an hour "later": the bucket counts as empty, and refills over one window (not one hour).
    expect(limiter.take(a, back)).toMatchObject({ allowed: false, retryAfterMs: 200 });
    expect(limiter.take(a, back + 200)).toEqual({ allowed: true });
    expect(limiter.msUntilFull(b, back)).toBe(1000);
    expect(limiter.purgeExpired([b], back)).toBe(0);
    expect(limiter.purgeExpired([b], back + 1000)).toBe(1);
    const restored = bucket();
    limiter.restore(restored, now + 1000, back);
    expect(limiter.msUntilFull(restored, back)).toBe(1000);
  });
});
