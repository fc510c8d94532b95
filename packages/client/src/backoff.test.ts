import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, type BackoffOptions } from './backoff';

const options: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, minDelayMs: 100 };

describe('backoff', () => {
  it('grows the ceiling exponentially from initialDelayMs and caps it at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffCeilingMs(attempt, options))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffCeilingMs(10_000, options)).toBe(30_000);
  });

  it('spreads each delay uniformly up to the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(3, options, () => 0.999)).toBe(1998);
    expect(backoffDelayMs(20, options, () => 0.25)).toBe(7500);
  });

  it('never goes below minDelayMs, so a refusing server is not hammered', () => {
    expect(backoffDelayMs(1, options, () => 0)).toBe(100);
  });

  it('stays within [minDelayMs, ceiling] for any attempt and random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, options, () => r);
        return delay >= options.minDelayMs && delay <= backoffCeilingMs(attempt, options);
      }),
    );
  });
});
