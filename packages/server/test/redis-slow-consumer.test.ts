import { describe, expect, it, vi } from 'vitest';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { installLeakCheck } from './support/leak-check';
import { singleRedisTarget } from './support/redis-target';
import { skipWithoutRedis } from './support/redis-test-env';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { connectClient, recordUpdates, subscribe, underlyingWebSocket } from './support/test-client';

const skip = await skipWithoutRedis('slow readers on a Redis-backed node');

installLeakCheck();

/** Lets sockets and Redis read and write between two publishes (a paced publisher, not a synchronization sleep). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const MAX_UPDATES = 20_000;
const UPDATE_DATA = { blob: 'x'.repeat(12 * 1024) };

describe.skipIf(skip)('a slow reader on a node that gets its job updates through Redis', () => {
  const testNodes = installRedisTestNodes(async () => singleRedisTarget(), { nodeDefaults: { heartbeat: DORMANT_HEARTBEAT }, expectNodeKeysGone: true });
  const { startNode } = testNodes;

  it('is conflated there too, whether another node or a worker published: bounded pending bytes, seq jumps, the terminal last', async () => {
    const conflateAboveBytes = 32 * 1024;
    const a = await startNode();
    const b = await startNode({ limits: { outbound: { conflateAboveBytes } } });
    const publisher = testNodes.startPublisher();
    const [healthy, slow] = [await connectClient(b.url), await connectClient(b.url)];
    const [healthyUpdates, slowUpdates] = [recordUpdates(healthy), recordUpdates(slow)];
    await subscribe(healthy, { jobId: 'render' });
    await subscribe(slow, { jobId: 'render' });
    underlyingWebSocket(slow).pause();

    let maxPending = 0;
    for (let published = 0; b.server.counters().conflatedUpdates < 50; published += 1) {
      if (published >= MAX_UPDATES) throw new Error(`node b conflated nothing after ${MAX_UPDATES} updates`);
      const input = { status: 'running', progress: published % 100, data: UPDATE_DATA } as const;
      await (published % 2 === 0 ? a.server.update('render', input) : publisher.update('render', input));
      maxPending = Math.max(maxPending, b.server.maintenance.pendingOutboundBytes());
      await nextTurn();
    }
    // One update over the watermark at most, plus Engine.IO's own small packets.
    expect(maxPending).toBeLessThan(conflateAboveBytes + 2 * UPDATE_DATA.blob.length + 1024);
    expect(b.server.stats().pendingConflations).toBe(1);
    expect(a.server.counters().conflatedUpdates).toBe(0);
    const terminal = await publisher.update('render', { status: 'completed', progress: 100 });

    underlyingWebSocket(slow).resume();
    // The terminal is last; it carries the jump mark only if the newest conflated state was still held when it came.
    await vi.waitFor(() => expect(slowUpdates.at(-1)?.seq).toBe(terminal.seq), { timeout: 20_000 });
    const { conflated: _mark, ...lastSlow } = slowUpdates.at(-1)!;
    expect(lastSlow).toEqual(terminal);
    await vi.waitFor(() => expect(healthyUpdates.at(-1)).toEqual(terminal), { timeout: 20_000 });
    for (let i = 1; i < slowUpdates.length; i += 1) expect(slowUpdates[i]!.seq).toBeGreaterThan(slowUpdates[i - 1]!.seq);
    expect(slowUpdates.length).toBeLessThan(terminal.seq - 40);
    // Each update after skipped ones, and only those, carries the mark that tells a client the jump is on purpose.
    const jumped = slowUpdates.filter((update, i) => i > 0 && update.seq > slowUpdates[i - 1]!.seq + 1);
    expect(jumped.length).toBeGreaterThan(0);
    expect(slowUpdates.filter((update) => update.conflated === true)).toEqual(jumped);
    expect(healthyUpdates.some((update) => update.conflated === true)).toBe(false);
    expect(healthyUpdates.map((update) => update.seq)).toEqual(Array.from({ length: terminal.seq }, (_, i) => i + 1));
    expect(b.server.stats().pendingConflations).toBe(0);
  }, 60_000);

  it('counts updates that arrive through Redis as activity of the watchers they reach', async () => {
    let time = Date.now();
    const a = await startNode();
    const b = await startNode({ now: () => time, session: { idleTimeoutMs: 1000, maxInactivityMs: 1000 } });
    const watcher = await connectClient(b.url);
    const updates = recordUpdates(watcher);
    await subscribe(watcher, { jobId: 'long-job' });
    time += 900;
    await a.server.update('long-job', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(updates).toHaveLength(1));
    time += 900;
    expect(b.server.maintenance.inactiveConnections()).toBe(0);
    time += 200;
    expect(b.server.maintenance.inactiveConnections()).toBe(1);
  });
});
