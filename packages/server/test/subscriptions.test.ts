import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
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
