import { describe, expect, it, vi } from 'vitest';
import { openClient, record } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startPausableProxy } from './support/pausable-proxy';

installLeakCheck();

/** Lets sockets read and write between two publishes (a paced publisher, not a synchronization sleep). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Most updates published while waiting for the server to start conflating for the stalled link. */
const MAX_UPDATES = 20_000;

describe('a client behind a link that stalls', () => {
  it('takes the seq jumps of the server conflating its updates as newer state: no resubscribe, no reconnect, the terminal last', async () => {
    const resource = await startJobServer({ limits: { outbound: { conflateAboveBytes: 16 * 1024 } } });
    const requests: string[] = [];
    resource.server.io.on('connection', (socket) => socket.onAny((event: string) => requests.push(event)));
    const proxy = await startPausableProxy(resource.port);
    const { client, errors, states } = openClient({ url: proxy.url });
    const watched = record(client, 'render');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('render', { status: 'running', progress: 0 });
    await vi.waitFor(() => expect(watched.seqs).toEqual([1]));

    proxy.pauseDownstream();
    for (let published = 1; resource.server.counters().conflatedUpdates < 200; published += 1) {
      if (published > MAX_UPDATES) throw new Error(`the server conflated nothing after ${MAX_UPDATES} updates`);
      await resource.server.update('render', { status: 'running', progress: published % 100, data: { blob: 'x'.repeat(4096) } });
      await nextTurn();
    }
    const terminal = await resource.server.update('render', { status: 'completed', progress: 100 });
    proxy.resumeDownstream();

    await vi.waitFor(() => expect(watched.ends).toBe(1), { timeout: 20_000 });
    expect(watched.updates.at(-1)).toEqual(terminal);
    expect(watched.handle.outcome).toEqual({ kind: 'terminal', update: terminal });
    for (let i = 1; i < watched.seqs.length; i += 1) expect(watched.seqs[i]).toBeGreaterThan(watched.seqs[i - 1]!);
    // States were skipped (seq jumped) without the client taking it for a gap to recover.
    expect(watched.seqs.length).toBeLessThan(terminal.seq - 100);
    expect(requests.filter((event) => event === 'subscribe-job')).toHaveLength(1);
    expect(states.filter((state) => state.status === 'connected')).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
