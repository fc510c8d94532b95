import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_REQUESTS_IN_FLIGHT, RequestPacer } from './request-pacer';
import { MAX_TIMER_DELAY_MS } from './timer-delay';

function pacer(): { pacer: RequestPacer<number>; sent: number[]; enqueue: (...ns: number[]) => void } {
  const sent: number[] = [];
  const p = new RequestPacer<number>((n) => sent.push(n));
  return { pacer: p, sent, enqueue: (...ns) => ns.forEach((n) => p.enqueue(String(n), n)) };
}

describe('RequestPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`keeps at most ${MAX_REQUESTS_IN_FLIGHT} requests in flight and sends the next as each settles`, () => {
    const { pacer: p, sent, enqueue } = pacer();
    enqueue(1, 2, 3, 4, 5, 6, 6);
    expect(sent).toEqual([1, 2, 3, 4]);
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    p.settled();
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4, 5, 6]);
    p.settled();
    p.settled();
    expect(sent).toHaveLength(6);
  });

  it('pauses for retryAfterMs after RATE_LIMITED, then sends the refused request first and the rest one at a time', () => {
    const { pacer: p, sent, enqueue } = pacer();
    enqueue(1, 2, 3, 4, 5, 6);
    p.throttled(200, { key: '1', request: 1 });
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(199);
    expect(sent).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(1);
    // Two are still in flight: the single-slot window waits for them.
    expect(sent).toEqual([1, 2, 3, 4]);
    p.settled();
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4, 1]);
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4, 1, 5]);
    p.settled();
    expect(sent).toEqual([1, 2, 3, 4, 1, 5, 6]);
  });

  it('pauses without requeuing when the refused request is not to be retried', () => {
    const { pacer: p, sent, enqueue } = pacer();
    enqueue(1, 2);
    p.throttled(100);
    enqueue(3);
    expect(sent).toEqual([1, 2]);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([1, 2]);
    p.settled();
    expect(sent).toEqual([1, 2, 3]);
    p.settled();
    expect(sent).toEqual([1, 2, 3]);
  });

  it('remove() says whether a request was still waiting; reset() forgets all and leaves no timer', () => {
    const { pacer: p, sent, enqueue } = pacer();
    enqueue(1, 2, 3, 4, 5, 6);
    expect(p.remove('6')).toBe(true);
    expect(p.remove('1')).toBe(false);
    p.throttled(1000, { key: '1', request: 1 });
    p.reset();
    expect(vi.getTimerCount()).toBe(0);
    enqueue(7);
    expect(sent).toEqual([1, 2, 3, 4, 7]);
  });

  it("pauses for setTimeout's longest delay when the server asks for longer, instead of resuming at once", () => {
    const { pacer: p, sent, enqueue } = pacer();
    enqueue(1);
    p.throttled(3e9, { key: '1', request: 1 });
    vi.advanceTimersByTime(24 * 3600_000);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS - 24 * 3600_000);
    expect(sent).toEqual([1, 1]);
  });
});
