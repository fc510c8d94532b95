import { describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS, timerDelayMs } from './timer-delay';

describe('timerDelayMs', () => {
  it('keeps a delay setTimeout honours, and caps a longer one at 2^31-1 ms instead of letting it fire at once', () => {
    expect(MAX_TIMER_DELAY_MS).toBe(2 ** 31 - 1);
    expect([0, 1, 30_000, MAX_TIMER_DELAY_MS].map(timerDelayMs)).toEqual([0, 1, 30_000, MAX_TIMER_DELAY_MS]);
    expect([MAX_TIMER_DELAY_MS + 1, 3e9, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY].map(timerDelayMs)).toEqual(Array(4).fill(MAX_TIMER_DELAY_MS));
  });

  it('turns a negative or NaN delay into 0', () => {
    expect([-1, Number.NEGATIVE_INFINITY, Number.NaN].map(timerDelayMs)).toEqual([0, 0, 0]);
  });
});
