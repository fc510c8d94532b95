import { ErrorCode, NOTICE_REASONS } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import type { BackoffOptions } from './backoff';
import { RETRY_POLICY, retryDelayMs, retryRuleFor, type RetryAction, type RetryTrigger } from './retry-policy';
import { MAX_TIMER_DELAY_MS } from './timer-delay';

const backoff: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 8000, factor: 2, minDelayMs: 100 };

describe('retry policy', () => {
  it('has a reasoned row for every protocol error code and every notice reason', () => {
    const triggers: RetryTrigger[] = [...Object.values(ErrorCode), ...NOTICE_REASONS.map((r) => `notice:${r}` as const), 'TRANSPORT_ERROR', 'TIMEOUT', 'UNAUTHORIZED:fixed-auth'];
    for (const trigger of triggers) expect(retryRuleFor(trigger).why.length).toBeGreaterThan(10);
    expect(Object.keys(RETRY_POLICY).sort()).toEqual([...triggers].sort());
  });

  it.each([
    ['UNSUPPORTED_PROTOCOL', 'give-up'],
    ['INVALID_PAYLOAD', 'give-up'],
    ['FORBIDDEN', 'give-up'],
    ['TOO_MANY_SUBSCRIPTIONS', 'give-up'],
    ['UNSUBSCRIBED', 'immediately'],
    ['TOO_MANY_CONNECTIONS', 'backoff'],
    ['UNAUTHORIZED', 'backoff'],
    ['UNAUTHORIZED:fixed-auth', 'give-up'],
    ['RATE_LIMITED', 'backoff'],
    ['TRANSPORT_ERROR', 'backoff'],
    ['UNAVAILABLE', 'server-paced'],
    ['notice:shutdown', 'retry-after'],
    ['notice:session-expired', 'immediately'],
    ['notice:idle', 'stay-disconnected'],
    ['notice:rate-limited', 'backoff'],
  ] as const)('%s → %s', (trigger, action) => {
    expect(retryRuleFor(trigger).action).toBe(action);
  });

  it('never schedules a repeated retry sooner than minDelayMs, even with zero jitter', () => {
    for (const [trigger, rule] of Object.entries(RETRY_POLICY)) {
      if (rule.action !== 'backoff' && rule.action !== 'retry-after' && rule.action !== 'server-paced') continue;
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        const delay = retryDelayMs(rule.action, { attempt, retryAfterMs: undefined, backoff, random: () => 0 });
        expect(delay, trigger).toBeGreaterThanOrEqual(backoff.minDelayMs);
      }
    }
  });

  it('backs off no sooner than the server asked', () => {
    expect(retryDelayMs('backoff', { attempt: 1, retryAfterMs: 5000, backoff, random: () => 0.5 })).toBe(5000);
    expect(retryDelayMs('backoff', { attempt: 4, retryAfterMs: 10, backoff, random: () => 0.5 })).toBe(4000);
  });

  it('comes back after retryAfterMs plus jitter, or backs off when no retryAfterMs was given', () => {
    expect(retryDelayMs('retry-after', { attempt: 1, retryAfterMs: 2000, backoff, random: () => 0.5 })).toBe(2500);
    expect(retryDelayMs('retry-after', { attempt: 2, retryAfterMs: undefined, backoff, random: () => 0.5 })).toBe(1000);
  });

  it('floors a zero retryAfterMs at minDelayMs and lets repeated refusals wait longer', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => retryDelayMs('retry-after', { attempt, retryAfterMs: 0, backoff, random: () => 0 }));
    expect(delays).toEqual([100, 100, 100, 100, 100]);
    const jittered = [1, 2, 3, 4, 5].map((attempt) => retryDelayMs('retry-after', { attempt, retryAfterMs: 0, backoff, random: () => 0.5 }));
    expect(jittered).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(retryDelayMs('retry-after', { attempt: 3, retryAfterMs: 300, backoff, random: () => 0.5 })).toBe(2300);
  });

  it("keeps to the server's pace however many attempts failed: retryAfterMs plus up to half of it, backoff without a hint", () => {
    const paced = (attempt: number, random: number): number | undefined => retryDelayMs('server-paced', { attempt, retryAfterMs: 1000, backoff, random: () => random });
    expect([1, 5, 20].map((attempt) => paced(attempt, 0))).toEqual([1000, 1000, 1000]);
    expect([1, 5, 20].map((attempt) => paced(attempt, 0.999))).toEqual([1500, 1500, 1500]);
    expect(retryDelayMs('server-paced', { attempt: 1, retryAfterMs: 0, backoff, random: () => 0.5 })).toBe(backoff.minDelayMs);
    expect([1, 4].map((attempt) => retryDelayMs('server-paced', { attempt, retryAfterMs: undefined, backoff, random: () => 0.5 }))).toEqual([500, 4000]);
  });

  it("never asks for a delay setTimeout cannot honour, however large the server's retryAfterMs", () => {
    const huge: BackoffOptions = { initialDelayMs: MAX_TIMER_DELAY_MS, maxDelayMs: MAX_TIMER_DELAY_MS, factor: 2, minDelayMs: MAX_TIMER_DELAY_MS };
    for (const action of ['backoff', 'retry-after', 'server-paced'] satisfies RetryAction[]) {
      for (const retryAfterMs of [3e9, Number.MAX_SAFE_INTEGER, MAX_TIMER_DELAY_MS]) {
        expect(retryDelayMs(action, { attempt: 3, retryAfterMs, backoff, random: () => 0.9 }), action).toBe(MAX_TIMER_DELAY_MS);
      }
      // The backoff added to a retryAfterMs just under the limit must not push the sum over it either.
      expect(retryDelayMs(action, { attempt: 3, retryAfterMs: MAX_TIMER_DELAY_MS - 1, backoff: huge, random: () => 0.9 }), action).toBe(MAX_TIMER_DELAY_MS);
    }
  });

  it('retries immediately only when told to, and not at all when giving up or staying idle', () => {
    const input = { attempt: 1, retryAfterMs: undefined, backoff, random: () => 0.5 };
    expect(retryDelayMs('immediately', input)).toBe(0);
    expect(retryDelayMs('give-up', input)).toBeUndefined();
    expect(retryDelayMs('stay-disconnected', input)).toBeUndefined();
  });
});
