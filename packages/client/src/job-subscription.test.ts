import type { JobUpdate, SubscribeJobOk } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { JobClientError } from './errors';
import type { JobOutcome } from './job-outcome';
import { JobSubscriptionState, type JobResync } from './job-subscription';

const update = (seq: number, status: JobUpdate['status'] = 'running', epoch = 'e1'): JobUpdate => ({ jobId: 'job-1', epoch, seq, status, progress: seq, at: 1_700_000_000_000 + seq });
const ack = (snapshot: JobUpdate | null, updates: JobUpdate[] = [], resync = false): SubscribeJobOk => ({ ok: true, jobId: 'job-1', epoch: snapshot?.epoch ?? null, snapshot, updates, resync });

function watched(): { state: JobSubscriptionState; seen: number[]; outcomes: JobOutcome[] } {
  const state = new JobSubscriptionState('job-1', () => undefined);
  const seen: number[] = [];
  const outcomes: JobOutcome[] = [];
  const handle = state.addHandle((u) => seen.push(u.seq));
  handle.on('end', (outcome) => outcomes.push(outcome));
  return { state, seen, outcomes };
}

describe('JobSubscriptionState', () => {
  it('delivers the snapshot first, then live updates in seq order', () => {
    const { state, seen } = watched();
    state.beginSync();
    state.applyAck(ack(update(3)));
    expect(state.applyUpdate(update(4))).toBe('applied');
    expect(state.applyUpdate(update(5))).toBe('applied');
    expect(seen).toEqual([3, 4, 5]);
    expect(state.lastSeq).toBe(5);
  });

  it('drops duplicates and updates older than what was delivered', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(2)));
    expect(state.applyUpdate(update(2))).toBe('dropped');
    expect(state.applyUpdate(update(1))).toBe('dropped');
    state.applyUpdate(update(3));
    expect(state.applyUpdate(update(3))).toBe('dropped');
    expect(seen).toEqual([2, 3]);
  });

  it('buffers live updates that arrive before the subscribe reply and merges them without duplicates', () => {
    const { state, seen } = watched();
    state.beginSync();
    expect(state.applyUpdate(update(5))).toBe('buffered');
    expect(state.applyUpdate(update(4))).toBe('buffered');
    expect(state.applyUpdate(update(4))).toBe('buffered');
    expect(state.applyAck(ack(update(4)))).toBe('synced');
    expect(seen).toEqual([4, 5]);
  });

  it('drops an update of another history held since before the request once its reply names the current history (no gap left for ever)', () => {
    const { state, seen } = watched();
    state.beginSync();
    state.requestSent();
    // A late update of a history the store since lost, while the first reply (no epoch known yet) is on its way.
    expect(state.applyUpdate(update(3, 'running', 'old'))).toBe('buffered');
    // Held after the request was sent, the update may be newer than the reply: the client asks again.
    expect(state.applyAck(ack(update(1, 'running', 'new')))).toBe('gap');
    state.requestSent();
    expect(state.applyAck(ack(update(1, 'running', 'new')))).toBe('synced');
    expect(state.applyUpdate(update(2, 'completed', 'new'))).toBe('applied');
    expect(seen).toEqual([1, 2]);
    expect(state.outcome).toMatchObject({ kind: 'terminal' });
  });

  it('keeps an update of the reply\'s history held since before the request', () => {
    const { state, seen } = watched();
    state.beginSync();
    expect(state.applyUpdate(update(2))).toBe('buffered');
    state.requestSent();
    expect(state.applyAck(ack(update(1)))).toBe('synced');
    expect(seen).toEqual([1, 2]);
  });

  it('replays missed updates after lastSeq on recovery, oldest first', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(2)));
    state.beginSync();
    state.applyAck(ack(update(5), [update(5), update(3), update(4)]));
    expect(seen).toEqual([2, 3, 4, 5]);
  });

  it('on resync takes the snapshot and drops everything older', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(2)));
    state.beginSync();
    state.applyUpdate(update(8));
    state.applyAck(ack(update(9), [], true));
    expect(seen).toEqual([2, 9]);
    expect(state.lastSeq).toBe(9);
  });

  it('takes a snapshot of another epoch as a replaced history: signals it, and counts seq from it', () => {
    const { state, seen } = watched();
    const resyncs: JobResync[] = [];
    const handle = state.addHandle();
    handle.on('resync', (resync) => resyncs.push(resync));
    state.applyAck(ack(update(5)));
    state.beginSync();
    state.applyAck(ack(update(2, 'running', 'e2'), [update(2, 'running', 'e2')], true));
    expect(resyncs).toEqual([{ reason: 'epoch-changed', previousEpoch: 'e1', epoch: 'e2', previousSeq: 5 }]);
    expect(seen).toEqual([5, 2]);
    expect(state).toMatchObject({ epoch: 'e2', lastSeq: 2 });
    expect(state.applyUpdate(update(3, 'running', 'e2'))).toBe('applied');
    expect(state.applyUpdate(update(6, 'running', 'e1'))).toBe('dropped');
    expect(seen).toEqual([5, 2, 3]);
  });

  it('never stitches a live update of another epoch onto its history: asks for a resubscribe instead', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(3)));
    expect(state.applyUpdate(update(4, 'running', 'e2'))).toBe('gap');
    expect(state.synced).toBe(false);
    state.applyAck(ack(update(4, 'completed', 'e2'), [], true));
    expect(seen).toEqual([3, 4]);
    expect(state.outcome).toMatchObject({ kind: 'terminal', update: { epoch: 'e2', status: 'completed' } });
  });

  it('signals updates-skipped when a resync of the same epoch jumps ahead', () => {
    const { state, seen } = watched();
    const resyncs: JobResync[] = [];
    state.addHandle().on('resync', (resync) => resyncs.push(resync));
    state.applyAck(ack(update(2)));
    state.beginSync();
    state.applyAck(ack(update(900), [], true));
    expect(resyncs).toEqual([{ reason: 'updates-skipped', previousEpoch: 'e1', epoch: 'e1', previousSeq: 2 }]);
    expect(seen).toEqual([2, 900]);
  });

  it('takes a resync to a lower seq of the same epoch as a rewound history: signals it, counts on from the snapshot, and ends with the terminal that follows', () => {
    const { state, seen, outcomes } = watched();
    const resyncs: JobResync[] = [];
    const late: number[] = [];
    const other = state.addHandle((u) => late.push(u.seq));
    other.on('resync', (resync) => resyncs.push(resync));
    state.applyAck(ack(update(10)));
    state.beginSync();
    expect(state.applyAck(ack(update(5), [], true))).toBe('synced');
    expect(resyncs).toEqual([{ reason: 'history-rewound', previousEpoch: 'e1', epoch: 'e1', previousSeq: 10 }]);
    expect(state).toMatchObject({ epoch: 'e1', lastSeq: 5 });
    expect(state.applyUpdate(update(6, 'completed'))).toBe('applied');
    expect(seen).toEqual([10, 5, 6]);
    expect(late).toEqual([10, 5, 6]);
    expect(outcomes).toEqual([{ kind: 'terminal', update: update(6, 'completed') }]);
  });

  it('holds live updates that arrive before a rewinding reply, even at or below lastSeq, and delivers them after its snapshot', () => {
    const { state, seen, outcomes } = watched();
    state.applyAck(ack(update(10)));
    state.beginSync();
    // The rewound history's next update overtakes the reply (the server broadcast it while it read the store).
    expect(state.applyUpdate(update(6, 'completed'))).toBe('buffered');
    state.applyAck(ack(update(5), [], true));
    expect(seen).toEqual([10, 5, 6]);
    expect(outcomes).toHaveLength(1);
  });

  it('on job-expired gone, ends a job it saw, and keeps waiting (resubscribe) for one it never saw', () => {
    const seenJob = watched();
    seenJob.state.applyAck(ack(update(3)));
    expect(seenJob.state.expire({ jobId: 'job-1', lastSeq: 0, reason: 'gone' })).toBe('ended');
    expect(seenJob.outcomes).toEqual([{ kind: 'expired', reason: 'gone', lastSeq: 3 }]);
    const unseen = watched();
    unseen.state.applyAck(ack(null));
    expect(unseen.state.expire({ jobId: 'job-1', lastSeq: 0, reason: 'gone' })).toBe('resubscribe');
    expect(unseen.state.outcome).toBeUndefined();
  });

  it('ends expired with reason gone when the server no longer has a job it had sent updates of', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(3)));
    state.beginSync();
    expect(state.applyAck(ack(null, [], true))).toBe('gone');
    expect(state.outcome).toEqual({ kind: 'expired', reason: 'gone', lastSeq: 3 });
    expect(state.applyUpdate(update(1))).toBe('dropped');
    expect(seen).toEqual([3]);
  });

  it('ends with a terminal update it holds behind a gap when the server no longer has the job, after an updates-skipped resync', () => {
    const { state, seen, outcomes } = watched();
    const resyncs: JobResync[] = [];
    state.addHandle().on('resync', (resync) => resyncs.push(resync));
    state.applyAck(ack(update(3)));
    expect(state.applyUpdate(update(6, 'completed'))).toBe('gap');
    state.beginSync();
    expect(state.applyAck(ack(null, [], true))).toBe('synced');
    expect(seen).toEqual([3, 6]);
    expect(outcomes).toEqual([{ kind: 'terminal', update: update(6, 'completed') }]);
    expect(resyncs).toEqual([{ reason: 'updates-skipped', previousEpoch: 'e1', epoch: 'e1', previousSeq: 3 }]);
  });

  it('ends with a terminal update it holds behind a gap when the server expires the job, instead of as expired', () => {
    const { state, seen, outcomes } = watched();
    state.applyAck(ack(update(3)));
    expect(state.applyUpdate(update(5, 'failed'))).toBe('gap');
    expect(state.expire({ jobId: 'job-1', lastSeq: 5, reason: 'stale' })).toBe('ended');
    expect(seen).toEqual([3, 5]);
    expect(outcomes).toEqual([{ kind: 'terminal', update: update(5, 'failed') }]);
  });

  it('goes on from a resume point: asks from it, delivers only what came after, and ends gone when the server forgot the job', () => {
    const resumed = watched();
    resumed.state.resumeFrom({ epoch: 'e1', seq: 4 });
    expect([resumed.state.epoch, resumed.state.lastSeq]).toEqual(['e1', 4]);
    resumed.state.beginSync();
    resumed.state.applyAck(ack(update(6), [update(3), update(4), update(5), update(6)]));
    expect(resumed.seen).toEqual([5, 6]);

    const forgotten = watched();
    forgotten.state.resumeFrom({ epoch: 'e1', seq: 4 });
    forgotten.state.beginSync();
    expect(forgotten.state.applyAck(ack(null, [], true))).toBe('gone');
    expect(forgotten.outcomes).toEqual([{ kind: 'expired', reason: 'gone', lastSeq: 4 }]);
    expect(forgotten.seen).toEqual([]);
  });

  it('waits for a job the server has not heard of yet when it had seen none of its updates', () => {
    const { state } = watched();
    expect(state.applyAck(ack(null))).toBe('synced');
    expect(state.outcome).toBeUndefined();
  });

  it('reports a gap in live updates and fills it from the next reply', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(1)));
    expect(state.applyUpdate(update(3))).toBe('gap');
    expect(state.synced).toBe(false);
    expect(state.applyUpdate(update(4))).toBe('buffered');
    state.applyAck(ack(update(4), [update(2), update(3), update(4)]));
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('applies a seq jump the server marked conflated as newer state, live or buffered, without asking for a resubscribe', () => {
    const { state, seen } = watched();
    state.applyAck(ack(update(1)));
    expect(state.applyUpdate({ ...update(5), conflated: true })).toBe('applied');
    expect(state.applyUpdate(update(6))).toBe('applied');
    expect(state.applyUpdate(update(4))).toBe('dropped');
    state.beginSync();
    expect(state.applyUpdate({ ...update(9, 'completed'), conflated: true })).toBe('buffered');
    expect(state.applyAck(ack(update(7), [update(7)]))).toBe('synced');
    expect(seen).toEqual([1, 5, 6, 7, 9]);
    expect(state.lastSeq).toBe(9);
  });

  it('says a gap is left when the reply does not reach the buffered updates', () => {
    const { state, seen } = watched();
    state.beginSync();
    state.applyUpdate(update(7));
    expect(state.applyAck(ack(update(5)))).toBe('gap');
    expect(seen).toEqual([5]);
  });

  it('ends once on the terminal update and ignores everything after it', () => {
    const { state, seen, outcomes } = watched();
    state.applyAck(ack(update(1)));
    state.applyUpdate(update(2, 'completed'));
    state.applyUpdate(update(3));
    state.beginSync();
    state.applyAck(ack(update(2, 'completed'), [update(2, 'completed')]));
    state.expire({ jobId: 'job-1', lastSeq: 2, reason: 'stale' });
    expect(seen).toEqual([1, 2]);
    expect(outcomes).toEqual([{ kind: 'terminal', update: update(2, 'completed') }]);
  });

  it('ends with the terminal snapshot when the job had already finished', () => {
    const { state, seen, outcomes } = watched();
    state.applyAck(ack(update(6, 'failed')));
    expect(seen).toEqual([6]);
    expect(outcomes[0]).toMatchObject({ kind: 'terminal', update: { status: 'failed' } });
  });

  it('ends with expiry or an error, once', () => {
    const expired = watched();
    expired.state.expire({ jobId: 'job-1', lastSeq: 0, reason: 'stale' });
    expired.state.fail(new JobClientError('CLOSED', 'closed'));
    expect(expired.outcomes).toEqual([{ kind: 'expired', reason: 'stale', lastSeq: 0 }]);
    const failed = watched();
    failed.state.fail(new JobClientError('FORBIDDEN', 'no'));
    expect(failed.outcomes).toHaveLength(1);
    expect(failed.outcomes[0]).toMatchObject({ kind: 'error', error: { code: 'FORBIDDEN' } });
  });

  it('gives a late handle the current snapshot on the next microtask, then shares later updates', async () => {
    const { state } = watched();
    state.applyAck(ack(update(3)));
    const late: number[] = [];
    state.addHandle((u) => late.push(u.seq));
    expect(late).toEqual([]);
    await Promise.resolve();
    expect(late).toEqual([3]);
    state.applyUpdate(update(4));
    expect(late).toEqual([3, 4]);
  });

  it('gives a handle joining a finished job its terminal snapshot and outcome', async () => {
    const { state } = watched();
    state.applyAck(ack(update(2, 'cancelled')));
    const late = state.addHandle();
    const ends = vi.fn();
    late.on('end', ends);
    await Promise.resolve();
    expect(late.snapshot?.seq).toBe(2);
    expect(late.status).toBe('cancelled');
    expect(ends).toHaveBeenCalledTimes(1);
  });

  it('gives a handle opened by a listener of the terminal update that update, then the end', async () => {
    const { state } = watched();
    state.applyAck(ack(update(1)));
    const late: number[] = [];
    const lateEnds: JobOutcome[] = [];
    state.addHandle((u) => {
      if (u.status !== 'completed') return;
      const joined = state.addHandle((v) => late.push(v.seq));
      joined.on('end', (outcome) => lateEnds.push(outcome));
    });
    state.applyUpdate(update(2, 'completed'));
    await Promise.resolve();
    expect(late).toEqual([2]);
    expect(lateEnds).toEqual([{ kind: 'terminal', update: update(2, 'completed') }]);
  });

  it('calls an end listener added after the end once, on the next microtask, unless it is removed first', async () => {
    const { state } = watched();
    const handle = state.addHandle();
    state.fail(new JobClientError('CLOSED', 'closed'));
    const heard = vi.fn();
    const removedFirst = vi.fn();
    handle.on('end', heard);
    handle.on('end', removedFirst)();
    expect(heard).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(heard).toHaveBeenCalledExactlyOnceWith({ kind: 'error', error: expect.objectContaining({ code: 'CLOSED' }) });
    expect(removedFirst).not.toHaveBeenCalled();
  });

  it('calls back when the last handle unsubscribes, and only then', () => {
    const gone = vi.fn();
    const state = new JobSubscriptionState('job-1', gone);
    const a = state.addHandle();
    const b = state.addHandle();
    a.unsubscribe();
    a.unsubscribe();
    expect(gone).not.toHaveBeenCalled();
    b.unsubscribe();
    expect(gone).toHaveBeenCalledExactlyOnceWith(state);
  });

  it('stops delivering to a handle after it unsubscribed', () => {
    const state = new JobSubscriptionState('job-1', () => undefined);
    const seen: number[] = [];
    const handle = state.addHandle((u) => seen.push(u.seq));
    state.addHandle();
    state.applyAck(ack(update(1)));
    handle.unsubscribe();
    state.applyUpdate(update(2));
    expect(seen).toEqual([1]);
    expect(handle.snapshot?.seq).toBe(1);
  });
});
