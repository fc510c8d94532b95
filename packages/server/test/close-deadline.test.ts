import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { startChild, stopAllChildren, type ChildResource } from './support/redis-child-process';
import type { SilentClientsConfig } from './support/silent-clients-process';
import { openStalledUpgradeProbe } from './support/stalled-upgrade-probe';
import type { SubscribedClientConfig } from './support/subscribed-client-process';

installLeakCheck();

/**
 * How far past its deadline `close()` may resolve here. Past the deadline it only disconnects what is left and closes
 * its transport, waiting for no client: tens of ms per hundred connections on an idle core. A loaded 2-core machine
 * runs that (and fires the deadline timer) a few hundred ms late; a client that could hold the close would take 30 s.
 */
const SCHEDULING_SLACK_MS = 500;
const CLIENTS = 100;

const frozen: ChildResource[] = [];
const stalled: Socket[] = [];
afterEach(async () => {
  for (const socket of stalled.splice(0)) socket.destroy();
  for (const child of frozen.splice(0)) child.process.kill('SIGCONT');
  await stopAllChildren();
});

/** Milliseconds `work` took. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await work();
  return performance.now() - startedAt;
}

describe('close() deadline', () => {
  it(`resolves right after its deadline with ${CLIENTS} clients that never acknowledge the shutdown notice`, async () => {
    const { server, url } = await startJobServer();
    // The clients live in their own process, so that their work does not delay the server's.
    const clients = await startChild('silent-clients-process.ts', { url, count: CLIENTS } satisfies SilentClientsConfig);
    await clients.event('ready', 20_000);
    expect(server.stats()).toMatchObject({ connections: CLIENTS, subscriptions: CLIENTS });

    const timeoutMs = 500;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    expect(server.counters().noticesSent).toBe(CLIENTS);
    expect(await clients.request('noticed')).toBe(CLIENTS);
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('is not held past its deadline by a client that stopped reading (frozen with SIGSTOP, it never answers the WebSocket close)', async () => {
    const { server, url } = await startJobServer();
    const zombie = await startChild('subscribed-client-process.ts', { url, jobId: 'frozen' } satisfies SubscribedClientConfig);
    await zombie.event('subscribed');
    zombie.process.kill('SIGSTOP');
    frozen.push(zombie);

    const timeoutMs = 300;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('is not held past its deadline by a WebSocket upgrade that was probed but never completed (and never answers the WebSocket close)', async () => {
    const { server, url } = await startJobServer();
    const probe = await openStalledUpgradeProbe(url);
    stalled.push(probe.socket);

    const timeoutMs = 300;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    await probe.closed;
    expect(server.stats()).toEqual(ZERO_STATS);
  });
});
