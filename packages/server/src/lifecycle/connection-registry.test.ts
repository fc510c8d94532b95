import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { ConnectionRegistry, type ConnectionRecord, type JobSocket } from './connection-registry';

function update(seq: number): JobUpdate {
  return { jobId: 'job-1', epoch: 'e1', seq, status: 'running', at: seq };
}

function record(id: string, lastActivityAt: number): ConnectionRecord {
  const socket = {} as JobSocket;
  return { id, socket, ip: '127.0.0.1', principal: null, connectedAt: 0, lastActivityAt, lastAliveAt: 0, subscriptions: undefined, rateFullAt: undefined };
}

describe('ConnectionRegistry activity', () => {
  it("credits a job's update time to its watchers, keeps it in their records when they stop watching, and drops it with the last one", () => {
    const registry = new ConnectionRegistry(1_000);
    const [a, b] = [record('a', 1_000), record('b', 1_500)];
    registry.add(a);
    registry.add(b);
    registry.subscribe(a, 'job-1');
    registry.subscribe(b, 'job-1');
    registry.noteUpdateWritten('job-2', 5_000);
    expect(registry.lastActivityOf(a)).toBe(1_000);
    registry.noteUpdateWritten('job-1', 2_000);
    expect([registry.lastActivityOf(a), registry.lastActivityOf(b), a.lastActivityAt]).toEqual([2_000, 2_000, 1_000]);
    registry.unsubscribe(a, 'job-1');
    expect(a.lastActivityAt).toBe(2_000);
    registry.remove('b');
    expect(b.lastActivityAt).toBe(2_000);
    expect(registry.watchedJobCount).toBe(0);
    // A new watcher of the job is not credited with updates written before it watched.
    const c = record('c', 1_200);
    registry.add(c);
    registry.subscribe(c, 'job-1');
    expect(registry.lastActivityOf(c)).toBe(1_200);
  });
});

describe('ConnectionRegistry.conflate', () => {
  it('never changes a held update, which one broadcast shares among the connections behind', () => {
    const registry = new ConnectionRegistry(0);
    const newer = update(2);
    registry.conflate('a', newer);
    registry.conflate('b', newer);
    // An older update of the same history arrives late for `a` only.
    expect(registry.conflate('a', update(1))).toBe(true);
    expect(newer).toEqual(update(2));
    expect(registry.takeConflated('a')).toEqual([{ ...update(2), conflated: true }]);
    expect(registry.takeConflated('b')).toEqual([update(2)]);
  });
});
