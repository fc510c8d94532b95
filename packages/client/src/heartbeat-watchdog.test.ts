import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatWatchdog } from './heartbeat-watchdog';
import { MAX_TIMER_DELAY_MS } from './timer-delay';

describe('HeartbeatWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('declares the server dead intervalMs + graceMs after the last heartbeat', () => {
    const dead = vi.fn();
    const watchdog = new HeartbeatWatchdog({ intervalMs: 30_000, graceMs: 10_000 }, dead);
    watchdog.arm();
    vi.advanceTimersByTime(39_999);
    watchdog.arm();
    vi.advanceTimersByTime(39_999);
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer after stop, and never arms when disabled', () => {
    const dead = vi.fn();
    const watchdog = new HeartbeatWatchdog({ intervalMs: 1000, graceMs: 0 }, dead);
    watchdog.arm();
    watchdog.stop();
    new HeartbeatWatchdog(false, dead).arm();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(dead).not.toHaveBeenCalled();
  });

  it("follows the server's advertised intervalMs + timeoutMs instead of its own settings once a heartbeat carries them", () => {
    const dead = vi.fn();
    const watchdog = new HeartbeatWatchdog({ intervalMs: 1000, graceMs: 0 }, dead);
    watchdog.arm();
    expect(watchdog.boundMs).toBe(1000);
    watchdog.arm({ intervalMs: 4000, timeoutMs: 2000 });
    vi.advanceTimersByTime(5999);
    watchdog.arm({});
    vi.advanceTimersByTime(5999);
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledOnce();
  });

  it("keeps its own graceMs when it is larger than the server's timeoutMs", () => {
    const watchdog = new HeartbeatWatchdog({ intervalMs: 1000, graceMs: 2000 }, vi.fn());
    watchdog.arm({ intervalMs: 1000, timeoutMs: 300 });
    expect(watchdog.boundMs).toBe(3000);
    watchdog.stop();
  });

  it('forgets the advertised timing on stop: the next connection starts from its own settings', () => {
    const watchdog = new HeartbeatWatchdog({ intervalMs: 1000, graceMs: 500 }, vi.fn());
    watchdog.arm({ intervalMs: 4000, timeoutMs: 2000 });
    watchdog.stop();
    expect(watchdog.boundMs).toBe(1500);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits out an advertised timing whose sum is beyond what setTimeout honours instead of firing at once', () => {
    const dead = vi.fn();
    const watchdog = new HeartbeatWatchdog({ intervalMs: 30_000, graceMs: 10_000 }, dead);
    // Each figure is valid on the wire (at most 2^31-1); their sum is not a delay setTimeout keeps.
    watchdog.arm({ intervalMs: MAX_TIMER_DELAY_MS, timeoutMs: 60_000 });
    expect(watchdog.boundMs).toBe(MAX_TIMER_DELAY_MS);
    vi.advanceTimersByTime(24 * 3600_000);
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS - 24 * 3600_000);
    expect(dead).toHaveBeenCalledOnce();
  });
});
