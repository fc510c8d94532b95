import type { JobUpdate } from '@org/ws-protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobClientError } from './errors';
import { JobSubscriptionState } from './job-subscription';
import { waitForJob } from './wait-for-job';

const update = (seq: number, status: JobUpdate['status']): JobUpdate => ({ jobId: 'job-1', epoch: 'e1', seq, status, at: 1_700_000_000_000 });

function job(): { state: JobSubscriptionState; released: () => boolean; subscribe: (id: string) => ReturnType<JobSubscriptionState['addHandle']> } {
  let gone = false;
  const state = new JobSubscriptionState('job-1', () => {
    gone = true;
  });
  return { state, released: () => gone, subscribe: () => state.addHandle() };
}

async function rejection(promise: Promise<unknown>): Promise<JobClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof JobClientError)) throw new Error(`expected a JobClientError, got ${String(error)}`);
  return error;
}

describe('waitForJob', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the completed update and releases its handle', async () => {
    const { state, subscribe, released } = job();
    const done = waitForJob(subscribe, 'job-1');
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1, 'running'), updates: [], resync: false });
    state.applyUpdate(update(2, 'completed'));
    await expect(done).resolves.toEqual(update(2, 'completed'));
    expect(released()).toBe(true);
  });

  it.each([
    ['failed', 'JOB_FAILED'],
    ['cancelled', 'JOB_CANCELLED'],
  ] as const)('rejects a %s job with %s carrying the update', async (status, code) => {
    const { state, subscribe } = job();
    const done = waitForJob(subscribe, 'job-1');
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(4, status), updates: [], resync: false });
    const error = await rejection(done);
    expect(error).toMatchObject({ name: 'JobClientError', code, jobId: 'job-1', update: update(4, status) });
  });

  it('rejects with JOB_EXPIRED when the server drops the job', async () => {
    const { state, subscribe } = job();
    const done = waitForJob(subscribe, 'job-1');
    state.expire({ jobId: 'job-1', lastSeq: 3, reason: 'stale' });
    expect(await rejection(done)).toMatchObject({ code: 'JOB_EXPIRED', jobId: 'job-1', message: 'job job-1 was dropped by the server after seq 3 (stale)' });
  });

  it('rejects with JOB_EXPIRED when a resubscribe finds the job gone from the server', async () => {
    const { state, subscribe } = job();
    const done = waitForJob(subscribe, 'job-1');
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(2, 'running'), updates: [], resync: false });
    state.beginSync();
    state.applyAck({ ok: true, jobId: 'job-1', epoch: null, snapshot: null, updates: [], resync: true });
    expect(await rejection(done)).toMatchObject({ code: 'JOB_EXPIRED', jobId: 'job-1', message: expect.stringContaining('gone from the server after seq 2') });
  });

  it('rejects with TIMEOUT after timeoutMs and leaves no timer', async () => {
    vi.useFakeTimers();
    const { subscribe, released } = job();
    const done = waitForJob(subscribe, 'job-1', { timeoutMs: 5000 });
    vi.advanceTimersByTime(5000);
    expect((await rejection(done)).code).toBe('TIMEOUT');
    expect(released()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waits out a timeoutMs beyond setTimeout's longest delay (30 days), then rejects with TIMEOUT", async () => {
    vi.useFakeTimers();
    const { subscribe, released } = job();
    const thirtyDaysMs = 30 * 24 * 3600_000;
    let outcome = 'pending';
    const done = rejection(waitForJob(subscribe, 'job-1', { timeoutMs: thirtyDaysMs })).then((error) => {
      outcome = error.code;
    });
    await vi.advanceTimersByTimeAsync(thirtyDaysMs - 1);
    expect(outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(outcome).toBe('TIMEOUT');
    expect(released()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sets no deadline for timeoutMs: Infinity', () => {
    vi.useFakeTimers();
    const { state, subscribe } = job();
    const done = waitForJob(subscribe, 'job-1', { timeoutMs: Number.POSITIVE_INFINITY });
    expect(vi.getTimerCount()).toBe(0);
    state.applyAck({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1, 'completed'), updates: [], resync: false });
    return expect(done).resolves.toEqual(update(1, 'completed'));
  });

  it.each([-1, Number.NaN, Number.NEGATIVE_INFINITY, '5000', null])('rejects timeoutMs %s with INVALID_OPTIONS at once, without subscribing', async (timeoutMs) => {
    const subscribe = vi.fn();
    const error = await rejection(waitForJob(subscribe, 'job-1', { timeoutMs: timeoutMs as number }));
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', jobId: 'job-1', message: expect.stringContaining('timeoutMs must be a number >= 0') });
    expect(subscribe).not.toHaveBeenCalled();
  });

  it('rejects with ABORTED when the signal fires, with its reason as cause', async () => {
    const { subscribe, released } = job();
    const controller = new AbortController();
    const done = waitForJob(subscribe, 'job-1', { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort('user left');
    const error = await rejection(done);
    expect(error.code).toBe('ABORTED');
    expect(error.cause).toBe('user left');
    expect(released()).toBe(true);
  });

  it('rejects at once for an already aborted signal without subscribing', async () => {
    const subscribe = vi.fn();
    const error = await rejection(waitForJob(subscribe, 'job-1', { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
    expect(subscribe).not.toHaveBeenCalled();
  });

  it.each([
    ['a signal that is not an AbortSignal', { signal: new AbortController() }, 'options.signal'],
    ['data that is not a Standard Schema', { data: 'schema' }, 'options.data'],
    ['options that are not an object', null, 'options must be an object'],
  ])('rejects with INVALID_OPTIONS at once for %s, subscribing to nothing', async (_case, options, message) => {
    const subscribe = vi.fn();
    const error = await rejection(Promise.resolve().then(() => waitForJob(subscribe, 'job-1', options as never)));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(message);
    expect(subscribe).not.toHaveBeenCalled();
  });

  it('settles with the outcome of a job that ended while it was being subscribed (the client closed by a listener)', async () => {
    const { state } = job();
    const done = waitForJob(
      () => {
        const handle = state.addHandle();
        state.fail(new JobClientError('CLOSED', 'the job client was closed'));
        return handle;
      },
      'job-1',
    );
    expect((await rejection(done)).code).toBe('CLOSED');
  });
});
