import { describe, expect, it, vi } from 'vitest';
import { openClient, record } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startPausableProxy } from './support/pausable-proxy';

installLeakCheck();

const UPDATE_DATA = { blob: 'x'.repeat(4096) };
/** Most progress updates the test publishes while waiting for the stalled link's buffers to fill. */
const MAX_UPDATES = 20_000;

/** Lets sockets read and write between two publishes (a paced publisher, not a synchronization sleep). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a client on a link that stalls while its job publishes', () => {
  it('takes the server-skipped states as newer state: no resubscribe, increasing seqs, the terminal last', async () => {
    const resource = await startJobServer({ limits: { outbound: { conflateAboveBytes: 32 * 1024 } } });
    const subscribes: unknown[] = [];
    resource.server.io.on('connection', (socket) => {
      socket.onAny((event: string, payload: unknown) => {
        if (event === 'subscribe-job') subscribes.push(payload);
      });
    });
    const proxy = await startPausableProxy(resource.port);
    const { client } = openClient({ url: proxy.url, socketOptions: { transports: ['websocket'] } });
    const watched = record(client, 'render');
    const outcome = client.waitFor('render');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));

    proxy.pauseDownstream();
    let published = 0;
    while (resource.server.counters().conflatedUpdates < 50) {
      if (published >= MAX_UPDATES) throw new Error(`nothing conflated after ${MAX_UPDATES} updates`);
      await resource.server.update('render', { status: 'running', progress: published % 100, data: UPDATE_DATA });
      published += 1;
      await nextTurn();
    }
    const terminal = await resource.server.update('render', { status: 'completed', progress: 100 });
    proxy.resumeDownstream();

    await expect(outcome).resolves.toMatchObject({ seq: terminal.seq, status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs.at(-1)).toBe(terminal.seq);
    expect(watched.seqs.length).toBeLessThan(terminal.seq);
    for (let i = 1; i < watched.seqs.length; i += 1) expect(watched.seqs[i]).toBeGreaterThan(watched.seqs[i - 1]!);
    // The jumps were marked, so the client asked for nothing: one subscribe-job, the first.
    expect(subscribes).toEqual([{ jobId: 'render' }]);
  }, 60_000);
});
