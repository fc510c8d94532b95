import type { TimeoutNotice } from '@org/ws-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionRecord } from './connection-registry';
import { NoticeTracker, type NoticeOutcome } from './notices';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A connection whose socket keeps the acknowledgement callback of every notice sent to it. */
function connection(id: string): { record: ConnectionRecord; answer: (reply: unknown) => void } {
  let ack: (reply: unknown) => void = () => undefined;
  const socket = {
    emit: (_event: string, _notice: TimeoutNotice, callback: (reply: unknown) => void) => {
      ack = callback;
    },
  };
  const record = { id, socket } as unknown as ConnectionRecord;
  return { record, answer: (reply) => ack(reply) };
}

/** Records the outcome of a notice as soon as it settles. */
function outcomeOf(promise: Promise<NoticeOutcome>): { value: NoticeOutcome | undefined } {
  const result: { value: NoticeOutcome | undefined } = { value: undefined };
  void promise.then((outcome) => {
    result.value = outcome;
  });
  return result;
}

const idle = (graceMs: number): TimeoutNotice => ({ reason: 'idle', graceMs, reconnect: false });

describe('NoticeTracker', () => {
  it('ends an unanswered notice at its graceMs, by its own timer, without any tick', async () => {
    const tracker = new NoticeTracker(Date.now);
    const outcome = outcomeOf(tracker.send(connection('a').record, idle(2000)));
    expect(tracker.timerArmed).toBe(true);
    await vi.advanceTimersByTimeAsync(1999);
    expect(outcome.value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.value).toBe('expired');
    expect(tracker).toMatchObject({ size: 0, timerArmed: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one timer for every pending notice, each ending at its own deadline', async () => {
    const tracker = new NoticeTracker(Date.now);
    const late = outcomeOf(tracker.send(connection('late').record, idle(3000)));
    const early = outcomeOf(tracker.send(connection('early').record, idle(1000)));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect([early.value, late.value]).toEqual(['expired', undefined]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(late.value).toBe('expired');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('disarms its timer once the last pending notice is acknowledged, and ignores an answer that is not the ack', async () => {
    const tracker = new NoticeTracker(Date.now);
    const { record, answer } = connection('a');
    const outcome = outcomeOf(tracker.send(record, idle(5000)));
    answer({ reason: 'nonsense' });
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.value).toBeUndefined();
    // A well-formed ack of another notice does not acknowledge this one.
    answer({ reason: 'shutdown' });
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.value).toBeUndefined();
    answer({ reason: 'idle' });
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.value).toBe('acknowledged');
    expect(tracker.timerArmed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends an unanswered notice within twice its graceMs when the clock went back meanwhile, not when the clock is back', async () => {
    let offset = 0;
    const tracker = new NoticeTracker(() => Date.now() + offset);
    const outcome = outcomeOf(tracker.send(connection('a').record, idle(2000)));
    await vi.advanceTimersByTimeAsync(500);
    offset = -3_600_000;
    await vi.advanceTimersByTimeAsync(3500);
    expect(outcome.value).toBe('expired');
    expect(tracker).toMatchObject({ size: 0, timerArmed: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settles a superseded notice and a forgotten one without waiting for their deadlines', async () => {
    const tracker = new NoticeTracker(Date.now);
    const { record } = connection('a');
    const first = outcomeOf(tracker.send(record, idle(5000)));
    const second = outcomeOf(tracker.send(record, { reason: 'shutdown', graceMs: 5000, reconnect: true, retryAfterMs: 0 }));
    tracker.forget('a');
    await vi.advanceTimersByTimeAsync(0);
    expect([first.value, second.value]).toEqual(['superseded', 'disconnected']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
