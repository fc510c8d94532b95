import { describe, expect, it, vi } from 'vitest';
import { ErrorReporter } from '../error-reporter';
import { ConnectionRegistry, type ConnectionRecord, type JobSocket } from '../lifecycle/connection-registry';
import { ServerPhase } from '../lifecycle/server-phase';
import { safeLogger, silentLogger } from '../logger';
import { emptyCounters } from '../stats';
import { MemoryJobStore } from './memory-job-store';
import { Subscriptions } from './subscriptions';

describe('Subscriptions with a fan-out that subscribes to rooms asynchronously', () => {
  it('reads the store only once the room is ready, so an update published meanwhile is in the snapshot or delivered', async () => {
    const registry = new ConnectionRegistry(0);
    const store = new MemoryJobStore();
    const reporter = new ErrorReporter(new ServerPhase(), emptyCounters(), safeLogger(silentLogger));
    const joined: string[] = [];
    const socket = { id: 'a', join: (room: string) => void joined.push(room), leave: () => undefined } as unknown as JobSocket;
    const record: ConnectionRecord = { id: 'a', socket, ip: '127.0.0.1', principal: null, connectedAt: 0, lastActivityAt: 0, lastAliveAt: 0, subscriptions: new Set(), rateFullAt: undefined };
    registry.add(record);
    let markReady: () => void = () => undefined;
    const readyFor: string[] = [];
    const roomReady = (room: string): Promise<void> => {
      readyFor.push(room);
      return new Promise((resolve) => (markReady = resolve));
    };
    const subscriptions = new Subscriptions({ registry, store, authorize: undefined, events: reporter.events, onError: reporter.report, onStoreResult: () => undefined, overloadedRetryAfterMs: () => undefined, onOverloaded: () => undefined, maxPerConnection: 1000, onTooMany: () => undefined, replayBudget: () => Number.POSITIVE_INFINITY, roomReady });

    const ack = subscriptions.subscribe(record, { jobId: 'job-1' });
    await vi.waitFor(() => expect(readyFor).toEqual(['job:job-1']));
    expect(joined).toEqual(['job:job-1']);
    // Published while the room's subscription is still in flight: not delivered here, but the snapshot read after has it.
    await store.append('job-1', { status: 'completed' }, 1);
    markReady();

    expect(await ack).toMatchObject({ ok: true, snapshot: { seq: 1, status: 'completed' } });
  });
});
