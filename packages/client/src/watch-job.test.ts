import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
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
});
