import { describe, expect, it, vi } from 'vitest';
import { MemoryJobStore } from '../src/index';
import { useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';

installLeakCheck();

/** A memory store that counts "remotely": each `refreshCounts` call waits until the test settles it. */
class RemotelyCountingStore extends MemoryJobStore {
  readonly calls: { resolve: () => void; reject: (error: Error) => void }[] = [];

  refreshCounts(): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }
}

/** A job server on the fake clock, ticking once a second (the heartbeat's period), over a {@link RemotelyCountingStore}; `errors` collects its `error` events. */
async function startCountingServer() {
  const { now } = useFakeClock();
  const store = new RemotelyCountingStore();
  const { server } = await startJobServer({ now, store, heartbeat: { intervalMs: 1000, timeoutMs: 1000 } });
  const errors: unknown[] = [];
  server.on('error', (event) => errors.push(event));
  return { store, server, errors };
}

describe('refreshing the job counts of the store in use', () => {
  it('calls refreshCounts of a given store on every tick, never twice at once, and reports each failing streak once', async () => {
    const { store, server, errors } = await startCountingServer();

    await vi.advanceTimersByTimeAsync(1000);
    expect(store.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(store.calls).toHaveLength(1);
    store.calls[0]!.resolve();
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.calls).toHaveLength(2);

    const away = new Error('store away');
    store.calls[1]!.reject(away);
    await vi.advanceTimersByTimeAsync(1000);
    store.calls[2]!.reject(new Error('store still away'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([{ error: away, context: 'store.refreshCounts' }]);
    expect(server.counters().internalErrors).toBe(1);

    store.calls[3]!.resolve();
    await vi.advanceTimersByTimeAsync(1000);
    const awayAgain = new Error('store away again');
    store.calls[4]!.reject(awayAgain);
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([
      { error: away, context: 'store.refreshCounts' },
      { error: awayAgain, context: 'store.refreshCounts' },
    ]);
    store.calls[5]!.resolve();
  });

  it('waits in close() for a refresh in flight and does not report it failing under the shutdown', async () => {
    const { store, server, errors } = await startCountingServer();
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.calls).toHaveLength(1);

    let closed = false;
    const closing = server.close({ timeoutMs: 60_000 }).then(() => {
      closed = true;
    });
    // The cluster or the store going away under a refresh makes it fail; close() has not given up on it.
    await vi.waitFor(() => expect(server.io.httpServer.listening).toBe(false));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    store.calls[0]!.reject(new Error('store closing'));
    await closing;
    expect(errors).toEqual([]);
    expect(server.counters().internalErrors).toBe(0);
    expect(store.calls).toHaveLength(1);
  });
});
