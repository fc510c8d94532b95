import { EventName } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { ErrorReporter } from '../error-reporter';
import type { JobIoServer } from '../job-server-api';
import { ConnectionRegistry, type ConnectionRecord, type JobSocket } from '../lifecycle/connection-registry';
import { ServerPhase } from '../lifecycle/server-phase';
import { safeLogger, silentLogger } from '../logger';
import { emptyCounters } from '../stats';
import { JobExpiry, type JobExpiryDeps } from './job-expiry';
import type { ExpiryRule } from './job-store';
import { MemoryJobStore } from './memory-job-store';
import { Subscriptions } from './subscriptions';

const SWEEP = { staleJobMs: 1_000, finishedJobRetentionMs: 2_000 };

/** A record whose socket only needs to leave rooms (the unit never writes to it). */
function watcher(id: string, jobIds: string[], registry: ConnectionRegistry): ConnectionRecord {
  const socket = { id, leave: () => undefined } as unknown as JobSocket;
  const record: ConnectionRecord = { id, socket, ip: '127.0.0.1', principal: null, connectedAt: 0, lastActivityAt: 0, lastAliveAt: 0, subscriptions: new Set(), rateFullAt: undefined };
  registry.add(record);
  for (const jobId of jobIds) registry.subscribe(record, jobId);
  return record;
}

function setUp(store = new MemoryJobStore()) {
  const phase = new ServerPhase();
  const registry = new ConnectionRegistry(0);
  const reporter = new ErrorReporter(phase, emptyCounters(), safeLogger(silentLogger));
  const subscriptions = new Subscriptions({ registry, store, authorize: undefined, events: reporter.events, onError: reporter.report, onStoreResult: () => undefined, overloadedRetryAfterMs: () => undefined, onOverloaded: () => undefined, maxPerConnection: 1000, onTooMany: () => undefined, replayBudget: () => Number.POSITIVE_INFINITY });
  const told: { room: string; event: string; payload: unknown }[] = [];
  // Each node tells only its own watchers (`io.local`); the other nodes tell theirs when they hear of the expiry.
  const io = { local: { to: (room: string) => ({ emit: (event: string, payload: unknown) => told.push({ room, event, payload }) }) } } as unknown as JobIoServer;
  const announced: [string, number][] = [];
  const storeResults: boolean[] = [];
  const reported: { error: unknown; context: string }[] = [];
  let at = 0;
  const deps: JobExpiryDeps = {
    phase,
    now: () => at,
    store,
    io,
    subscriptions,
    sweep: SWEEP,
    isWatched: (jobId) => registry.subscriberCount(jobId) > 0,
    onExpired: (jobId, lastSeq) => announced.push([jobId, lastSeq]),
    onStoreResult: (ok) => storeResults.push(ok),
    logger: safeLogger(silentLogger),
    reportError: (error, context) => reported.push({ error, context }),
  };
  const advanceTo = (ms: number): void => {
    at = ms;
  };
  return { expiry: new JobExpiry(deps), phase, registry, store, told, announced, storeResults, reported, advanceTo };
}

describe('JobExpiry', () => {
  it('drops stale jobs (telling their room and the cluster) and unwatched finished jobs, and keeps a watched finished one', async () => {
    const { expiry, registry, store, told, announced, storeResults, advanceTo } = setUp();
    await store.append('stale', { status: 'running', progress: 10 }, 0);
    await store.append('stale', { status: 'running', progress: 20 }, 0);
    await store.append('done', { status: 'completed' }, 0);
    await store.append('done-watched', { status: 'completed' }, 0);
    watcher('a', ['stale', 'done-watched'], registry);
    advanceTo(SWEEP.finishedJobRetentionMs);

    expect(await expiry.purgeStaleJobs()).toBe(2);

    expect(told).toEqual([{ room: 'job:stale', event: EventName.JobExpired, payload: { jobId: 'stale', lastSeq: 2, reason: 'stale' } }]);
    expect(announced).toEqual([['stale', 2]]);
    expect(registry.subscriptionCount).toBe(1);
    expect(await store.get('stale')).toBeNull();
    expect(await store.get('done')).toBeNull();
    expect(await store.get('done-watched')).not.toBeNull();
    expect(storeResults).toEqual([true]);
  });

  it('tells its own watchers of a job another node expired and ends their subscriptions, without touching the store', async () => {
    const { expiry, registry, store, told, announced } = setUp();
    await store.append('elsewhere', { status: 'running' }, 0);
    watcher('a', ['elsewhere'], registry);

    expiry.expiredElsewhere('elsewhere', 7);

    expect(told).toEqual([{ room: 'job:elsewhere', event: EventName.JobExpired, payload: { jobId: 'elsewhere', lastSeq: 7, reason: 'stale' } }]);
    expect(registry.subscriptionCount).toBe(0);
    expect(announced).toEqual([]);
    expect(await store.get('elsewhere')).not.toBeNull();
  });

  it('leaves jobs younger than their age limit', async () => {
    const { expiry, store, advanceTo } = setUp();
    await store.append('young', { status: 'running' }, 0);
    advanceTo(SWEEP.staleJobMs - 1);
    expect(await expiry.purgeStaleJobs()).toBe(0);
    expect(await store.get('young')).not.toBeNull();
  });

  it('does nothing once the server is closing', async () => {
    const { expiry, phase, store, advanceTo } = setUp();
    await store.append('stale', { status: 'running' }, 0);
    advanceTo(10 * SWEEP.staleJobMs);
    phase.beginClosing();
    expect(await expiry.purgeStaleJobs()).toBe(0);
    expect(await store.get('stale')).not.toBeNull();
  });

  it('reports a store that cannot search as unavailable and rejects', async () => {
    const failure = new Error('store away');
    class UnreachableStore extends MemoryJobStore {
      override findExpired(_rule: ExpiryRule): never {
        throw failure;
      }
    }
    const { expiry, storeResults } = setUp(new UnreachableStore());
    await expect(expiry.purgeStaleJobs()).rejects.toBe(failure);
    expect(storeResults).toEqual([false]);
  });

  it('drops what it can and reports the jobs it could not drop once, as one error', async () => {
    class StubbornStore extends MemoryJobStore {
      override delete(jobId: string, lastSeq: number): Promise<boolean> {
        return jobId.startsWith('stuck') ? Promise.reject(new Error(`cannot drop ${jobId}`)) : super.delete(jobId, lastSeq);
      }
    }
    const { expiry, store, reported, advanceTo } = setUp(new StubbornStore());
    for (const jobId of ['stuck-1', 'stuck-2', 'free']) await store.append(jobId, { status: 'running' }, 0);
    advanceTo(SWEEP.staleJobMs);

    expect(await expiry.purgeStaleJobs()).toBe(1);

    expect(reported).toHaveLength(1);
    expect(reported[0]?.context).toBe('sweep.purge');
    expect((reported[0]?.error as AggregateError).errors).toHaveLength(2);
  });
});
