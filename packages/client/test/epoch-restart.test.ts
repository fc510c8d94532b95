import type { JobStatus, JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { openClient } from './support/job-client-resource';
import { recordHistory, stitchedUpdates } from './support/job-history';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { rejection } from './support/rejection';

installLeakCheck();

/** Publishes `count` updates of `jobId` on the resource's current server; resolves with the last. */
async function publish(resource: JobServerResource, jobId: string, count: number, status: JobStatus = 'running'): Promise<JobUpdate> {
  let last: JobUpdate | undefined;
  for (let i = 0; i < count; i += 1) last = await resource.server.update(jobId, { status, progress: 10 });
  return last!;
}

/** Handshakes wait on a gate the test closes, so that a restarted server can start a job's new run before the client is back. */
function handshakeGate(): { authenticate: () => Promise<{ user: string }>; close(): void; open(): void } {
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  return {
    authenticate: async () => {
      await gate;
      return { user: 'u1' };
    },
    close() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    open: () => release(),
  };
}

describe('epochs: a restarted in-memory server never lets a client stitch two runs of a job', () => {
  it('signals the replaced history before the new run’s snapshot, whether the new run is ahead of or behind the old one', async () => {
    const gate = handshakeGate();
    const resource = await startJobServer({ shutdown: { retryWindowMs: 0 }, authenticate: gate.authenticate });
    const { client, states, until } = openClient({ url: resource.url });
    const ahead = recordHistory(client, 'render-ahead');
    const behind = recordHistory(client, 'render-behind');
    const aheadDone = client.waitFor('render-ahead');
    const behindDone = client.waitFor('render-behind');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    const { epoch: oldAhead } = await publish(resource, 'render-ahead', 3);
    const { epoch: oldBehind } = await publish(resource, 'render-behind', 3);
    await vi.waitFor(() => expect([ahead.updates.length, behind.updates.length]).toEqual([3, 3]));

    // Run 2 of both ids starts on the restarted server while the client is still outside: one past the seq the
    // client holds (the case `seq` alone would stitch), one below it.
    gate.close();
    await resource.restart();
    const { epoch: newAhead } = await publish(resource, 'render-ahead', 5);
    const { epoch: newBehind } = await publish(resource, 'render-behind', 1);
    expect([newAhead, newBehind]).not.toContain(oldAhead);
    expect([newAhead, newBehind]).not.toContain(oldBehind);
    gate.open();
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));
    await vi.waitFor(() => expect([ahead.updates.at(-1), behind.updates.at(-1)]).toEqual([`${newAhead}:5`, `${newBehind}:1`]));

    const aheadTerminal = await publish(resource, 'render-ahead', 1, 'completed');
    const behindTerminal = await publish(resource, 'render-behind', 1, 'completed');
    await expect(aheadDone).resolves.toEqual(aheadTerminal);
    await expect(behindDone).resolves.toEqual(behindTerminal);
    expect(aheadTerminal).toMatchObject({ epoch: newAhead, seq: 6 });

    expect(ahead.events).toEqual([
      { kind: 'update', epoch: oldAhead, seq: 1, status: 'running' },
      { kind: 'update', epoch: oldAhead, seq: 2, status: 'running' },
      { kind: 'update', epoch: oldAhead, seq: 3, status: 'running' },
      { kind: 'resync', reason: 'epoch-changed', previousEpoch: oldAhead, epoch: newAhead, previousSeq: 3 },
      { kind: 'update', epoch: newAhead, seq: 5, status: 'running' },
      { kind: 'update', epoch: newAhead, seq: 6, status: 'completed' },
    ]);
    expect(behind.events.slice(3)).toEqual([
      { kind: 'resync', reason: 'epoch-changed', previousEpoch: oldBehind, epoch: newBehind, previousSeq: 3 },
      { kind: 'update', epoch: newBehind, seq: 1, status: 'running' },
      { kind: 'update', epoch: newBehind, seq: 2, status: 'completed' },
    ]);
    expect([stitchedUpdates(ahead.events), stitchedUpdates(behind.events)]).toEqual([[], []]);
    expect([ahead.outcome, behind.outcome]).toEqual([
      { kind: 'terminal', update: aheadTerminal },
      { kind: 'terminal', update: behindTerminal },
    ]);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('rejects waitFor with JOB_EXPIRED (gone) within seconds of connecting to a server that does not have the job', async () => {
    const first = await startJobServer({ shutdown: { retryWindowMs: 0 } });
    const second = await startJobServer();
    const { client } = openClient({ urls: [first.url, second.url] });
    const watched = recordHistory(client, 'render-42');
    const waited = rejection(client.waitFor('render-42'));
    await vi.waitFor(() => expect(first.server.stats().subscriptions).toBe(1));
    await publish(first, 'render-42', 2);
    await vi.waitFor(() => expect(watched.updates).toHaveLength(2));

    let connectedAt: number | undefined;
    client.on('connected', (state) => {
      if (state.url === second.url) connectedAt ??= Date.now();
    });
    await first.stop();
    const error = await waited;
    expect(connectedAt).toBeDefined();
    expect(Date.now() - connectedAt!).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'JOB_EXPIRED', jobId: 'render-42', expired: { kind: 'expired', reason: 'gone', lastSeq: 2 } });
    expect(watched.events.filter((event) => event.kind === 'resync')).toEqual([]);
    await vi.waitFor(() => expect(second.server.stats().subscriptions).toBe(0));
  });

  it('keeps waiting across the restart for a job it never saw an update of, and follows its first run without a resync', async () => {
    const resource = await startJobServer({ shutdown: { retryWindowMs: 0 } });
    const { client, states, until } = openClient({ url: resource.url });
    const watched = recordHistory(client, 'render-7');
    const done = client.waitFor('render-7');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));

    await resource.restart();
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    const { epoch } = await publish(resource, 'render-7', 2);
    const terminal = await publish(resource, 'render-7', 1, 'completed');
    await expect(done).resolves.toEqual(terminal);
    expect(watched.updates).toEqual([`${epoch}:1`, `${epoch}:2`, `${epoch}:3`]);
    expect(watched.events.filter((event) => event.kind === 'resync')).toEqual([]);
  });
});
