import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { JobClientError } from './errors';
import { JobSubscriptionState } from './job-subscription';
import { watchJob, type SubscribeFunction } from './watch-job';

const update = (seq: number, status: JobUpdate['status'] = 'running'): JobUpdate => ({ jobId: 'job-1', epoch: 'e1', seq, status, at: 1_700_000_000_000 });

function job(): { state: JobSubscriptionState; subscribe: SubscribeFunction; released: () => boolean } {
  let gone = false;
  const state = new JobSubscriptionState('job-1', () => {
    gone = true;
  });
  return { state, subscribe: (_id, listener) => state.addHandle(listener), released: () => gone };
}

describe('watchJob', () => {
  it('yields the snapshot and each update, and ends after the terminal one', async () => {
    const { state, subscribe, released } = job();
    const iterator = watchJob(subscribe, 'job-1');
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1), updates: [], resync: false });
    const seen: number[] = [];
    const consumed = (async () => {
      for await (const u of iterator) seen.push(u.seq);
    })();
    state.applyUpdate(update(2));
    state.applyUpdate(update(3, 'completed'));
    await consumed;
    expect(seen).toEqual([1, 2, 3]);
    expect(released()).toBe(true);
  });

  it('throws JOB_EXPIRED after the updates it got when the job is dropped', async () => {
    const { state, subscribe } = job();
    const iterator = watchJob(subscribe, 'job-1');
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1), updates: [], resync: false });
    state.expire({ jobId: 'job-1', lastSeq: 1, reason: 'stale' });
    await expect(iterator.next()).resolves.toEqual({ value: update(1), done: false });
    await expect(iterator.next()).rejects.toMatchObject({ code: 'JOB_EXPIRED' });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends with ABORTED when the signal fires while waiting', async () => {
    const { subscribe, released } = job();
    const controller = new AbortController();
    const iterator = watchJob(subscribe, 'job-1', { signal: controller.signal });
    const pending = iterator.next();
    controller.abort();
    const error: unknown = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobClientError);
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect(released()).toBe(true);
  });

  it('unsubscribes when the loop breaks early', async () => {
    const { state, subscribe, released } = job();
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(5), updates: [], resync: false });
    for await (const u of watchJob(subscribe, 'job-1')) {
      expect(u.seq).toBe(5);
      break;
    }
    expect(released()).toBe(true);
  });

  it('subscribes to nothing for an already aborted signal, and throws ABORTED from the first next()', async () => {
    const subscribe = vi.fn<SubscribeFunction>();
    const iterator = watchJob(subscribe, 'job-1', { signal: AbortSignal.abort('gone') });
    await expect(iterator.next()).rejects.toMatchObject({ code: 'ABORTED', cause: 'gone' });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
    expect(subscribe).not.toHaveBeenCalled();
  });

  it.each([
    ['a signal that is not an AbortSignal', { signal: new AbortController() }, 'options.signal'],
    ['data that is not a Standard Schema', { data: 5 }, 'options.data'],
    ['options that are not an object', null, 'options must be an object'],
  ])('throws INVALID_OPTIONS at once for %s, subscribing to nothing', (_case, options, message) => {
    const subscribe = vi.fn<SubscribeFunction>();
    expect(() => watchJob(subscribe, 'job-1', options as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining(message) }));
    expect(subscribe).not.toHaveBeenCalled();
  });

  it('ends with the outcome of a job that ended while it was being subscribed (the client closed by a listener)', async () => {
    const { state, subscribe } = job();
    const iterator = watchJob((id, listener) => {
      const handle = subscribe(id, listener);
      state.fail(new JobClientError('CLOSED', 'the job client was closed'));
      return handle;
    }, 'job-1');
    await expect(iterator.next()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
