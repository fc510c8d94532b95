import type { JobUpdate, SubscribeJobAck } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { jobRoom } from '../src/job-rooms';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

describe('job subscriptions over real sockets', () => {
  it('fans every update out to a subscriber, in seq order, and keeps the snapshot', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const received: JobUpdate[] = [];
    client.socket.on('job-update', (update) => received.push(update));

    const ack = await subscribe(client, { jobId: 'export-1' });
    expect(ack).toEqual({ ok: true, jobId: 'export-1', snapshot: null, updates: [], resync: false });
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, subscriptions: 1 });

    await server.update('export-1', { status: 'running', progress: 10 });
    const last = await server.update('export-1', { status: 'completed', progress: 100, data: { url: '/files/1' } });
    expect(last.seq).toBe(2);
    await vi.waitFor(() => expect(received.map((update) => update.seq)).toEqual([1, 2]));
    expect(received[1]).toMatchObject({ jobId: 'export-1', status: 'completed', data: { url: '/files/1' } });
    expect(await server.getJob('export-1')).toEqual(last);
  });

  it('answers subscribe-job with the snapshot and the updates after lastSeq', async () => {
    const { server, url } = await startJobServer();
    for (const progress of [10, 20, 30, 40]) await server.update('render-7', { status: 'running', progress });
    const client = await connectClient(url);

    const ack = await subscribe(client, { jobId: 'render-7', lastSeq: 2 });
    expect(ack).toMatchObject({ ok: true, resync: false, snapshot: { seq: 4, progress: 40 } });
    expect(ack.ok && ack.updates.map((update) => update.seq)).toEqual([3, 4]);
  });

  it('asks for a resync when the buffer no longer holds the updates after lastSeq', async () => {
    const { server, url } = await startJobServer({ jobs: { bufferSize: 2 } });
    for (const progress of [10, 20, 30, 40, 50]) await server.update('import-3', { status: 'running', progress });
    const client = await connectClient(url);

    const ack = await subscribe(client, { jobId: 'import-3', lastSeq: 1 });
    expect(ack).toEqual({ ok: true, jobId: 'import-3', snapshot: expect.objectContaining({ seq: 5 }), updates: [], resync: true });
  });

  it('keeps delivering to the other subscriber when one of two leaves', async () => {
    const { server, url } = await startJobServer();
    const stays = await connectClient(url);
    const leaves = await connectClient(url);
    const seen: number[] = [];
    stays.socket.on('job-update', (update) => seen.push(update.seq));
    await subscribe(stays, { jobId: 'shared' });
    await subscribe(leaves, { jobId: 'shared' });
    await server.update('shared', { status: 'running', progress: 1 });

    leaves.socket.disconnect();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 }));
    await server.update('shared', { status: 'running', progress: 2 });

    await vi.waitFor(() => expect(seen).toEqual([1, 2]));
    expect(await server.getJob('shared')).toMatchObject({ seq: 2, progress: 2 });
  });

  it('stops delivering after unsubscribe-job and keeps the job', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const seen: number[] = [];
    client.socket.on('job-update', (update) => seen.push(update.seq));
    await subscribe(client, { jobId: 'job-u' });
    await server.update('job-u', { status: 'running' });
    await vi.waitFor(() => expect(seen).toEqual([1]));

    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'job-u' })).toEqual({ ok: true });
    expect(server.stats().subscriptions).toBe(0);
    await server.update('job-u', { status: 'running', progress: 50 });
    // A second subscriber proves the update went out after the first one left.
    const probe = await connectClient(url);
    const ack = await subscribe(probe, { jobId: 'job-u' });
    expect(ack).toMatchObject({ ok: true, snapshot: { seq: 2 } });
    expect(seen).toEqual([1]);
  });

  it('counts watched jobs apart from subscriptions, and drops a job from the index when its last watcher leaves', async () => {
    const { server, url } = await startJobServer();
    const first = await connectClient(url);
    const second = await connectClient(url);
    await subscribe(first, { jobId: 'shared' });
    await subscribe(second, { jobId: 'shared' });
    await subscribe(second, { jobId: 'own' });
    expect(server.stats()).toMatchObject({ subscriptions: 3, watchedJobs: 2 });

    second.socket.disconnect();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1, watchedJobs: 1 }));
  });
});

describe('an unsubscribe-job that overtakes a pending subscribe-job', () => {
  /** A server whose authorizeSubscribe waits until the test releases each call, in order. */
  async function startHeldAuthorization() {
    const held: Array<(allowed: boolean) => void> = [];
    const resource = await startJobServer({
      authorizeSubscribe: () => new Promise<boolean>((resolve) => held.push(resolve)),
    });
    const events: string[] = [];
    resource.server.on('subscribe', ({ jobId }) => events.push(`subscribe:${jobId}`));
    resource.server.on('unsubscribe', ({ jobId }) => events.push(`unsubscribe:${jobId}`));
    return { ...resource, held, events };
  }

  it('leaves no subscription and no room membership, and answers the subscribe UNSUBSCRIBED', async () => {
    const { server, url, held, events } = await startHeldAuthorization();
    const client = await connectClient(url);
    const seen: number[] = [];
    client.socket.on('job-update', (update) => seen.push(update.seq));

    const subscribed = subscribe(client, { jobId: 'late-1' });
    await vi.waitFor(() => expect(held).toHaveLength(1));
    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'late-1' })).toEqual({ ok: true });
    held[0]!(true);

    expect(await subscribed).toEqual({ ok: false, error: { code: 'UNSUBSCRIBED', message: expect.any(String) } });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 });
    expect(server.io.of('/').adapter.rooms.has(jobRoom('late-1'))).toBe(false);
    expect(server.io.of('/').sockets.get(client.socket.id!)?.rooms.has(jobRoom('late-1'))).toBe(false);
    await server.update('late-1', { status: 'running' });
    expect(events).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('does not cancel a subscribe-job sent after the unsubscribe-job', async () => {
    const { server, url, held, events } = await startHeldAuthorization();
    const client = await connectClient(url);

    const first = subscribe(client, { jobId: 'late-2' });
    await vi.waitFor(() => expect(held).toHaveLength(1));
    await client.socket.emitWithAck('unsubscribe-job', { jobId: 'late-2' });
    const second = subscribe(client, { jobId: 'late-2' });
    await vi.waitFor(() => expect(held).toHaveLength(2));
    held[1]!(true);
    expect(await second).toMatchObject({ ok: true, jobId: 'late-2' });
    held[0]!(true);

    expect(((await first) as SubscribeJobAck & { ok: false }).error.code).toBe('UNSUBSCRIBED');
    expect(server.stats()).toMatchObject({ subscriptions: 1, watchedJobs: 1 });
    expect(server.io.of('/').sockets.get(client.socket.id!)?.rooms.has(jobRoom('late-2'))).toBe(true);
    expect(events).toEqual(['subscribe:late-2']);
  });
});
