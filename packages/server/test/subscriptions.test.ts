import type { JobExpired, JobUpdate, SubscribeJobAck } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { jobRoom } from '../src/jobs/job-rooms';
import type { JobReplay } from '../src/jobs/job-store';
import { MemoryJobStore, type JobServer } from '../src/index';
import { DORMANT_HEARTBEAT, MINUTE } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

/** A memory store whose every `replay` waits until the test releases or fails it, in order. */
class HeldReplayStore extends MemoryJobStore {
  readonly held: Array<{ release: () => void; fail: (error: Error) => void }> = [];
  /** Replays that answered (after their release). */
  answered = 0;

  override async replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay> {
    await new Promise<void>((release, fail) => this.held.push({ release, fail }));
    const replay = await super.replay(jobId, lastSeq);
    this.answered += 1;
    return replay;
  }
}

/** A server whose authorizeSubscribe calls and store reads each wait until the test lets them go, in order. */
async function startHeldServer(options: { holdAuthorization?: boolean; now?: () => number; maxSubscriptionsPerConnection?: number } = {}) {
  const store = new HeldReplayStore();
  const authorizations: Array<(allowed: boolean) => void> = [];
  const resource = await startJobServer({
    store,
    heartbeat: DORMANT_HEARTBEAT,
    sweep: { staleJobMs: MINUTE },
    ...(options.maxSubscriptionsPerConnection ? { limits: { maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection } } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.holdAuthorization ? { authorizeSubscribe: () => new Promise<boolean>((resolve) => authorizations.push(resolve)) } : {}),
  });
  return { ...resource, store, authorizations, events: recordEvents(resource.server) };
}

/** One lifecycle event of a connection. */
interface LoggedEvent {
  event: 'subscribe' | 'unsubscribe' | 'disconnect';
  socketId: string;
  jobId?: string;
}

function recordEvents(server: JobServer): LoggedEvent[] {
  const log: LoggedEvent[] = [];
  server.on('subscribe', ({ socketId, jobId }) => log.push({ event: 'subscribe', socketId, jobId }));
  server.on('unsubscribe', ({ socketId, jobId }) => log.push({ event: 'unsubscribe', socketId, jobId }));
  server.on('disconnect', ({ socketId }) => log.push({ event: 'disconnect', socketId }));
  return log;
}

/** Each `unsubscribe` follows a `subscribe` of that socket and job, no `subscribe` repeats one still open, nothing follows a `disconnect`. */
function expectBalanced(log: LoggedEvent[]): void {
  const open = new Set<string>();
  const gone = new Set<string>();
  for (const { event, socketId, jobId } of log) {
    expect(gone.has(socketId), `${event} of ${socketId} after its disconnect`).toBe(false);
    if (event === 'disconnect') {
      gone.add(socketId);
      continue;
    }
    const key = `${socketId} ${jobId}`;
    expect(open.has(key), `${event} of ${key}`).toBe(event === 'unsubscribe');
    if (event === 'subscribe') open.add(key);
    else open.delete(key);
  }
}

function inRoom(server: JobServer, client: TestClient, jobId: string): boolean {
  return server.io.of('/').sockets.get(client.socket.id!)?.rooms.has(jobRoom(jobId)) ?? false;
}

/** Disconnects the clients and waits until the server holds no connection, subscription, room or pending ack. */
async function expectNothingHeld(server: JobServer, clients: TestClient[], jobId: string): Promise<void> {
  for (const client of clients) client.socket.disconnect();
  await vi.waitFor(() =>
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, watchedJobs: 0, pendingAcks: 0 }),
  );
  expect(server.io.of('/').adapter.rooms.has(jobRoom(jobId))).toBe(false);
}

describe('job subscriptions over real sockets', () => {
  it('fans every update out to a subscriber, in seq order, and keeps the snapshot', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const received: JobUpdate[] = [];
    client.socket.on('job-update', (update) => received.push(update));

    const ack = await subscribe(client, { jobId: 'export-1' });
    expect(ack).toEqual({ ok: true, jobId: 'export-1', epoch: null, snapshot: null, updates: [], resync: false });
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

  it('keeps each state as it was published, whatever the application does with its data object afterwards', async () => {
    const { server, url } = await startJobServer();
    const watching = await connectClient(url);
    const received: JobUpdate[] = [];
    watching.socket.on('job-update', (update) => received.push(update));
    await subscribe(watching, { jobId: 'render-8' });
    // The application keeps one state object and changes it between its updates.
    const state = { frame: 1 };
    await server.update('render-8', { status: 'running', progress: 10, data: state });
    state.frame = 2;
    await server.update('render-8', { status: 'running', progress: 20, data: state });
    state.frame = 3;
    await vi.waitFor(() => expect(received.map((update) => update.data)).toEqual([{ frame: 1 }, { frame: 2 }]));

    // A later subscriber, a replay and getJob see the states the first one got, not the object as it is now.
    const late = await connectClient(url);
    const ack = await subscribe(late, { jobId: 'render-8', lastSeq: 0, epoch: received[0]!.epoch });
    expect(ack.ok && ack.updates).toEqual(received);
    expect(await server.getJob('render-8')).toEqual(received[1]);
  });

  it('asks for a resync when the buffer no longer holds the updates after lastSeq', async () => {
    const { server, url } = await startJobServer({ jobs: { bufferSize: 2 } });
    for (const progress of [10, 20, 30, 40, 50]) await server.update('import-3', { status: 'running', progress });
    const client = await connectClient(url);

    const ack = await subscribe(client, { jobId: 'import-3', lastSeq: 1 });
    expect(ack).toEqual({ ok: true, jobId: 'import-3', epoch: expect.any(String), snapshot: expect.objectContaining({ seq: 5 }), updates: [], resync: true });
  });

  it('answers a subscribe of another epoch with the current snapshot and resync, and one for a job it no longer holds as gone', async () => {
    const { server, url } = await startJobServer();
    for (const progress of [10, 20, 30]) await server.update('render-9', { status: 'running', progress });
    const { epoch } = (await server.getJob('render-9'))!;
    const client = await connectClient(url);

    // Same epoch: the updates after lastSeq. Another epoch: never those, whatever lastSeq says (below or past the job's seq).
    expect(await subscribe(client, { jobId: 'render-9', lastSeq: 1, epoch })).toMatchObject({ ok: true, epoch, resync: false, updates: [{ seq: 2 }, { seq: 3 }] });
    for (const lastSeq of [1, 7]) {
      expect(await subscribe(client, { jobId: 'render-9', lastSeq, epoch: 'old-run' })).toEqual({
        ok: true,
        jobId: 'render-9',
        epoch,
        snapshot: expect.objectContaining({ epoch, seq: 3 }),
        updates: [],
        resync: true,
      });
    }
    // An epoch for a job the server does not hold: gone. Without one, a job not updated yet is simply waited for.
    expect(await subscribe(client, { jobId: 'render-10', epoch: 'old-run' })).toEqual({ ok: true, jobId: 'render-10', epoch: null, snapshot: null, updates: [], resync: true });
    expect(await subscribe(client, { jobId: 'render-11' })).toEqual({ ok: true, jobId: 'render-11', epoch: null, snapshot: null, updates: [], resync: false });
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

describe('a subscribe-job pending on the store', () => {
  it('leaves no subscription and no room membership when an unsubscribe-job arrives during the store read', async () => {
    const { server, url, store, events } = await startHeldServer();
    const client = await connectClient(url);
    const seen: number[] = [];
    client.socket.on('job-update', (update) => seen.push(update.seq));

    const subscribed = subscribe(client, { jobId: 'read-1' });
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    expect(server.stats().subscriptions).toBe(1);
    expect(inRoom(server, client, 'read-1')).toBe(true);
    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'read-1' })).toEqual({ ok: true });
    expect(server.stats()).toMatchObject({ subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'read-1')).toBe(false);
    store.held[0]!.release();

    expect(await subscribed).toEqual({ ok: false, error: { code: 'UNSUBSCRIBED', message: expect.any(String) } });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'read-1')).toBe(false);
    await server.update('read-1', { status: 'running' });
    // A second subscriber proves the update went out after the first one left.
    const probe = await connectClient(url);
    const probed = subscribe(probe, { jobId: 'read-1' });
    await vi.waitFor(() => expect(store.held).toHaveLength(2));
    store.held[1]!.release();
    expect(await probed).toMatchObject({ ok: true, snapshot: { seq: 1 } });
    expect(seen).toEqual([]);
    const probeId = probe.socket.id;
    await expectNothingHeld(server, [client, probe], 'read-1');
    expect(events.filter((entry) => entry.event !== 'disconnect')).toEqual([{ event: 'subscribe', socketId: probeId, jobId: 'read-1' }]);
    expectBalanced(events);
    // The application owns the store, so it is the one that releases it.
    await store.close();
  });

  it('drops the provisional subscription when its store read fails and the older subscribe it was waiting on ends UNSUBSCRIBED', async () => {
    const { server, url, store, authorizations, events } = await startHeldServer({ holdAuthorization: true });
    const client = await connectClient(url);

    const before = subscribe(client, { jobId: 'read-2' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(1));
    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'read-2' })).toEqual({ ok: true });
    const after = subscribe(client, { jobId: 'read-2' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    authorizations[1]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    store.held[0]!.fail(new Error('store down'));
    expect(((await after) as SubscribeJobAck & { ok: false }).error.code).toBe('UNAVAILABLE');
    authorizations[0]!(true);

    expect(((await before) as SubscribeJobAck & { ok: false }).error.code).toBe('UNSUBSCRIBED');
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'read-2')).toBe(false);
    await expectNothingHeld(server, [client], 'read-2');
    expect(events.map((entry) => entry.event)).toEqual(['disconnect']);
    expectBalanced(events);
  });

  it('drops the provisional subscription when its store read fails and the other pending subscribe is refused', async () => {
    const { server, url, store, authorizations, events } = await startHeldServer({ holdAuthorization: true });
    const client = await connectClient(url);

    const first = subscribe(client, { jobId: 'read-3' });
    const second = subscribe(client, { jobId: 'read-3' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    authorizations[0]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    store.held[0]!.fail(new Error('store down'));
    expect(((await first) as SubscribeJobAck & { ok: false }).error.code).toBe('UNAVAILABLE');
    // Still pending: the second subscribe may yet confirm the subscription.
    expect(server.stats().subscriptions).toBe(1);
    authorizations[1]!(false);

    expect(((await second) as SubscribeJobAck & { ok: false }).error.code).toBe('FORBIDDEN');
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'read-3')).toBe(false);
    await expectNothingHeld(server, [client], 'read-3');
    expect(events.map((entry) => entry.event)).toEqual(['disconnect']);
    expectBalanced(events);
  });

  it('keeps the subscription when its store read fails but the other pending subscribe confirms it', async () => {
    const { server, url, store, authorizations, events } = await startHeldServer({ holdAuthorization: true });
    const client = await connectClient(url);

    const first = subscribe(client, { jobId: 'read-4' });
    const second = subscribe(client, { jobId: 'read-4' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    authorizations[0]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    store.held[0]!.fail(new Error('store down'));
    expect(((await first) as SubscribeJobAck & { ok: false }).error.code).toBe('UNAVAILABLE');
    authorizations[1]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(2));
    store.held[1]!.release();

    expect(await second).toMatchObject({ ok: true, jobId: 'read-4' });
    expect(server.stats()).toMatchObject({ subscriptions: 1, watchedJobs: 1 });
    expect(inRoom(server, client, 'read-4')).toBe(true);
    await expectNothingHeld(server, [client], 'read-4');
    expect(events.map((entry) => entry.event)).toEqual(['subscribe', 'disconnect']);
    expectBalanced(events);
  });

  it('answers FORBIDDEN and announces nothing when the sweep drops the job during the store read', async () => {
    let clock = Date.now();
    const { server, url, store, events } = await startHeldServer({ now: () => clock });
    const client = await connectClient(url);
    const expired: JobExpired[] = [];
    client.socket.on('job-expired', (notice) => expired.push(notice));
    await server.update('stale-1', { status: 'running', progress: 5 });

    const subscribed = subscribe(client, { jobId: 'stale-1' });
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    clock += 2 * MINUTE;
    expect(await server.maintenance.purgeStaleJobs()).toBe(1);
    await vi.waitFor(() => expect(expired).toEqual([{ jobId: 'stale-1', lastSeq: 1, reason: 'stale' }]));
    expect(server.stats()).toMatchObject({ jobs: 0, subscriptions: 0, watchedJobs: 0 });
    store.held[0]!.release();

    expect(await subscribed).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'stale-1')).toBe(false);
    await expectNothingHeld(server, [client], 'stale-1');
    expect(events.map((entry) => entry.event)).toEqual(['disconnect']);
    expectBalanced(events);
  });

  it('answers FORBIDDEN without subscribing when the sweep drops the job during authorization, and lets a later subscribe-job through', async () => {
    let clock = Date.now();
    const { server, url, store, authorizations, events } = await startHeldServer({ holdAuthorization: true, now: () => clock });
    const client = await connectClient(url);
    const expired: JobExpired[] = [];
    client.socket.on('job-expired', (notice) => expired.push(notice));
    await server.update('stale-2', { status: 'running', progress: 5 });

    const subscribed = subscribe(client, { jobId: 'stale-2' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(1));
    clock += 2 * MINUTE;
    expect(await server.maintenance.purgeStaleJobs()).toBe(1);
    authorizations[0]!(true);

    expect(await subscribed).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(store.held).toHaveLength(0);
    expect(server.stats()).toMatchObject({ connections: 1, jobs: 0, subscriptions: 0, watchedJobs: 0 });
    expect(inRoom(server, client, 'stale-2')).toBe(false);
    // It was in no room when the job went, so the FORBIDDEN answer is all it hears of it.
    expect(expired).toEqual([]);
    expect(events).toEqual([]);

    // The sweep marked only the subscribe that was pending then.
    await server.update('stale-2', { status: 'running', progress: 6 });
    const again = subscribe(client, { jobId: 'stale-2' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    authorizations[1]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    store.held[0]!.release();
    expect(await again).toMatchObject({ ok: true, jobId: 'stale-2', snapshot: { seq: 1, progress: 6 } });
    expect(server.stats()).toMatchObject({ subscriptions: 1, watchedJobs: 1 });
    await expectNothingHeld(server, [client], 'stale-2');
    expect(events.map((entry) => entry.event)).toEqual(['subscribe', 'disconnect']);
    expectBalanced(events);
    await store.close();
  });

  it('announces nothing after the disconnect of a connection that closed during the store read', async () => {
    const { server, url, store, events } = await startHeldServer();
    const client = await connectClient(url);

    void subscribe(client, { jobId: 'read-5' }).catch(() => undefined);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    await expectNothingHeld(server, [client], 'read-5');
    store.held[0]!.release();
    await vi.waitFor(() => expect(store.answered).toBe(1));
    // The subscribe carries on in promise callbacks only: one macrotask turn runs every one of them.
    await new Promise((resolve) => setImmediate(resolve));

    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, watchedJobs: 0 });
    expect(server.io.of('/').adapter.rooms.has(jobRoom('read-5'))).toBe(false);
    expect(events.map((entry) => entry.event)).toEqual(['disconnect']);
    expectBalanced(events);
  });
});

describe('the cap on jobs one connection watches (limits.maxSubscriptionsPerConnection)', () => {
  const tooManyOf = (cap: number) => ({ ok: false, error: { code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.stringContaining(`as many jobs as the server allows (${cap})`) } });
  const tooMany = tooManyOf(2);

  it('answers one job more TOO_MANY_SUBSCRIPTIONS and holds nothing for it, answers a watched job as usual, and frees a slot on unsubscribe', async () => {
    const { server, url } = await startJobServer({ limits: { maxSubscriptionsPerConnection: 2 } });
    const client = await connectClient(url);
    const other = await connectClient(url);
    expect(await subscribe(client, { jobId: 'cap-1' })).toMatchObject({ ok: true });
    expect(await subscribe(client, { jobId: 'cap-2' })).toMatchObject({ ok: true });

    expect(await subscribe(client, { jobId: 'cap-3' })).toEqual(tooMany);
    expect(server.stats()).toMatchObject({ subscriptions: 2, watchedJobs: 2 });
    expect(server.io.of('/').adapter.rooms.has(jobRoom('cap-3'))).toBe(false);
    expect(server.counters().tooManySubscriptions).toBe(1);
    // Again for a job it watches: answered with the snapshot, no slot taken. The cap is per connection.
    expect(await subscribe(client, { jobId: 'cap-2' })).toMatchObject({ ok: true, jobId: 'cap-2' });
    expect(await subscribe(other, { jobId: 'cap-3' })).toMatchObject({ ok: true });

    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'cap-1' })).toEqual({ ok: true });
    expect(await subscribe(client, { jobId: 'cap-3' })).toMatchObject({ ok: true });
    expect(server.stats()).toMatchObject({ subscriptions: 3, watchedJobs: 2 });
    expect(server.counters().tooManySubscriptions).toBe(1);
  });

  it('counts subscribes still pending (authorization, store read) against the cap, each job once', async () => {
    const { server, url, authorizations, store } = await startHeldServer({ holdAuthorization: true, maxSubscriptionsPerConnection: 2 });
    const client = await connectClient(url);
    const first = subscribe(client, { jobId: 'held-cap-1' });
    const firstAgain = subscribe(client, { jobId: 'held-cap-1' });
    const second = subscribe(client, { jobId: 'held-cap-2' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(3));

    expect(await subscribe(client, { jobId: 'held-cap-3' })).toEqual(tooMany);
    // Authorized, the first job's subscribes register it while they wait for the store: still two jobs.
    authorizations[0]!(true);
    authorizations[1]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(2));
    expect(await subscribe(client, { jobId: 'held-cap-3' })).toEqual(tooMany);

    authorizations[2]!(false);
    expect(await second).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    for (const read of store.held) read.release();
    expect(await first).toMatchObject({ ok: true });
    expect(await firstAgain).toMatchObject({ ok: true });
    const third = subscribe(client, { jobId: 'held-cap-3' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(4));
    authorizations[3]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(3));
    store.held[2]!.release();
    expect(await third).toMatchObject({ ok: true });
    expect(server.stats()).toMatchObject({ subscriptions: 2, watchedJobs: 2 });
    expect(server.counters().tooManySubscriptions).toBe(2);
    await store.close();
  });
  it('takes no slot for a job whose pending subscribe the connection cancelled with unsubscribe-job, until it asks for it again', async () => {
    const { server, url, authorizations, store } = await startHeldServer({ holdAuthorization: true, maxSubscriptionsPerConnection: 1 });
    const client = await connectClient(url);
    const first = subscribe(client, { jobId: 'swap-a' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(1));
    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'swap-a' })).toEqual({ ok: true });

    // Swapped for another job: not refused, it is being authorized.
    const swapped = subscribe(client, { jobId: 'swap-b' });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    // Asked for again, the first job needs a slot of its own.
    expect(await subscribe(client, { jobId: 'swap-a' })).toEqual(tooManyOf(1));

    authorizations[0]!(true);
    expect(await first).toMatchObject({ ok: false, error: { code: 'UNSUBSCRIBED' } });
    authorizations[1]!(true);
    await vi.waitFor(() => expect(store.held).toHaveLength(1));
    store.held[0]!.release();
    expect(await swapped).toMatchObject({ ok: true, jobId: 'swap-b' });
    expect(server.stats()).toMatchObject({ subscriptions: 1, watchedJobs: 1 });
    await store.close();
  });
});
