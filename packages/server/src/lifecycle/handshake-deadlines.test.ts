import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HandshakeDeadlines } from './handshake-deadlines';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A transport that records how it was closed. */
const transport = (): { closes: (boolean | undefined)[]; close: (discard?: boolean) => void } => {
  const closes: (boolean | undefined)[] = [];
  return { closes, close: (discard) => closes.push(discard) };
};

describe('HandshakeDeadlines', () => {
  it('closes each waiting transport, discarding its buffer, exactly at its own deadline with one timer', () => {
    const deadlines = new HandshakeDeadlines(Date.now, 1000);
    const first = transport();
    const second = transport();
    deadlines.start(first);
    vi.advanceTimersByTime(400);
    deadlines.start(second);
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(599);
    expect(first.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(first.closes).toEqual([true]);
    expect(deadlines.timerArmed).toBe(true);
    vi.advanceTimersByTime(399);
    expect(second.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(second.closes).toEqual([true]);
    expect(deadlines.timerArmed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closes a waiting transport within twice its wait when the clock went back meanwhile, not when the clock is back', () => {
    let offset = 0;
    const deadlines = new HandshakeDeadlines(() => Date.now() + offset, 1000);
    const waiting = transport();
    deadlines.start(waiting);
    vi.advanceTimersByTime(500);
    offset = -3_600_000;
    vi.advanceTimersByTime(1500);
    expect(waiting.closes).toEqual([true]);
    expect(deadlines.timerArmed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves a transport that stopped waiting open, and disarms once none waits', () => {
    const deadlines = new HandshakeDeadlines(Date.now, 1000);
    const connected = transport();
    const silent = transport();
    deadlines.start(connected);
    deadlines.start(silent);
    deadlines.stop(connected);
    vi.advanceTimersByTime(1000);
    expect(connected.closes).toEqual([]);
    expect(silent.closes).toEqual([true]);

    deadlines.start(connected);
    deadlines.stop(connected);
    expect(deadlines.timerArmed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts the wait of a transport whose connection ended', () => {
    const deadlines = new HandshakeDeadlines(Date.now, 1000);
    const reused = transport();
    deadlines.start(reused);
    vi.advanceTimersByTime(800);
    deadlines.stop(reused);
    deadlines.start(reused);
    vi.advanceTimersByTime(999);
    expect(reused.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reused.closes).toEqual([true]);
  });
});
