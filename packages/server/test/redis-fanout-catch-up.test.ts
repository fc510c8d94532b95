import { EventName, type JobUpdate } from '@org/ws-protocol';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisJobStore } from '../src/index';
import { jobRoom } from '../src/jobs/job-rooms';
import { redisKeys } from '../src/redis/redis-keys';
import { shardedBroadcast } from '../src/redis/sharded-broadcast';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startRedisServer, type RedisServerResource } from './support/redis-server-process';
import { closeRedisClient, skipWithoutRedisServerBinary, uniqueKeyPrefix } from './support/redis-test-env';
import { connectClient, subscribe, type TestClient } from './support/test-client';

// Needs redis-server on PATH (7 or later for the sharded case): this suite kills its own server's subscriber connections.
const skip = skipWithoutRedisServerBinary('catch-up after a fan-out gap');

installLeakCheck();

/** The `job-update`s a client receives for one job, in arrival order. */
function received(client: TestClient, jobId: string): JobUpdate[] {
  const updates: JobUpdate[] = [];
  client.socket.on('job-update', (update) => {
    if (update.jobId === jobId) updates.push(update);
  });
  return updates;
}

/** Publishes a job-update to `jobId`'s room through Redis on `writer`'s one connection, as another node or a worker does. */
function redisBroadcaster(writer: Redis, keyPrefix: string, fanout: 'classic' | 'sharded', jobId: string): (update: JobUpdate) => Promise<void> {
  const channel = redisKeys(keyPrefix).adapterChannel;
  const emitter = new Emitter(writer, { key: channel });
  return async (update) => {
    if (fanout === 'classic') emitter.to(jobRoom(jobId)).emit(EventName.JobUpdate, update);
    else {
      const { channel: roomChannel, message } = shardedBroadcast(channel, jobRoom(jobId), EventName.JobUpdate, [update]);
      await writer.spublish(roomChannel, message);
    }
  };
}

describe.skipIf(skip)('catch-up after a fan-out gap on a single Redis: the subscriber connection is killed and comes back', () => {
  let redis: RedisServerResource;
  let node: JobServerResource | undefined;
  const clients: Redis[] = [];

  beforeEach(async () => {
    redis = await startRedisServer({ persistence: false });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(closeRedisClient));
    await node?.close();
    node = undefined;
    await redis.destroy();
  });

  /** Starts the node, subscribes one watcher to job-a and delivers it job-a's first update. */
  async function watchJobA(fanout?: 'classic' | 'sharded') {
    const keyPrefix = uniqueKeyPrefix();
    node = await startJobServer({ redis: { url: redis.url, keyPrefix, fanout } });
    const watcher = await connectClient(node.url);
    const got = received(watcher, 'job-a');
    expect(await subscribe(watcher, { jobId: 'job-a' })).toMatchObject({ ok: true, snapshot: null });
    const a1 = await node.server.update('job-a', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(got).toEqual([a1]));
    return { keyPrefix, server: node.server, url: node.url, got, a1 };
  }

  it.each(['classic', 'sharded'] as const)(
    '%s fan-out: a terminal update written while the node was not subscribed reaches its watcher once, and nothing the room already had is sent again',
    { timeout: 30_000 },
    async (fanout) => {
      const keyPrefix = uniqueKeyPrefix();
      node = await startJobServer({ redis: { url: redis.url, keyPrefix, fanout } });
      const client = await connectClient(node.url);
      const [gotA, gotB] = [received(client, 'job-a'), received(client, 'job-b')];
      expect(await subscribe(client, { jobId: 'job-a' })).toMatchObject({ ok: true, snapshot: null });
      expect(await subscribe(client, { jobId: 'job-b' })).toMatchObject({ ok: true, snapshot: null });
      const a1 = await node.server.update('job-a', { status: 'running', progress: 10 });
      const b1 = await node.server.update('job-b', { status: 'running', progress: 10 });
      await vi.waitFor(() => expect([gotA, gotB]).toEqual([[a1], [b1]]));

      // The terminal goes into the store and is never published: what a node misses while its subscription is away.
      const writer = new Redis(redis.url);
      const admin = new Redis(redis.url);
      clients.push(writer, admin);
      const a2 = await new RedisJobStore({ client: writer, keyPrefix }).append('job-a', { status: 'completed', data: { url: 'x' } }, Date.now());
      expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1);

      await vi.waitFor(() => expect(gotA).toEqual([a1, a2]), { timeout: 10_000, interval: 20 });
      // job-b was decided in the same batch as job-a: its room had seq 1 already, so nothing was sent. A later update
      // still flows, over the subscription that came back.
      const b2 = await node.server.update('job-b', { status: 'completed' });
      await vi.waitFor(() => expect(gotB).toEqual([b1, b2]));
      expect(gotA).toEqual([a1, a2]);
      expect(node.server.health().status).toBe('ok');
    },
  );

  it('a job-update the application sends to one socket on the same io is no delivery to the job’s room: the catch-up still sends the room the terminal', { timeout: 30_000 }, async () => {
    const keyPrefix = uniqueKeyPrefix();
    node = await startJobServer({ redis: { url: redis.url, keyPrefix } });
    const [watcher, bystander] = [await connectClient(node.url), await connectClient(node.url)];
    const [watched, direct] = [received(watcher, 'job-a'), received(bystander, 'job-a')];
    expect(await subscribe(watcher, { jobId: 'job-a' })).toMatchObject({ ok: true, snapshot: null });
    const a1 = await node.server.update('job-a', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(watched).toEqual([a1]));

    const writer = new Redis(redis.url);
    const admin = new Redis(redis.url);
    clients.push(writer, admin);
    const a2 = await new RedisJobStore({ client: writer, keyPrefix }).append('job-a', { status: 'completed', data: { url: 'x' } }, Date.now());
    // The application shares the io and tells one socket (not the job's room) about the terminal.
    node.server.io.to(bystander.socket.id!).emit('job-update', a2);
    await vi.waitFor(() => expect(direct).toEqual([a2]));
    expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1);

    await vi.waitFor(() => expect(watched).toEqual([a1, a2]), { timeout: 10_000, interval: 20 });
    expect(direct).toEqual([a2]);
  });
  it('a finished job whose keys are gone when the subscription comes back is no loss to a room that was sent its terminal: only the unfinished one is reported expired', { timeout: 30_000 }, async () => {
    const { keyPrefix, server, url, got, a1 } = await watchJobA();
    const watcher = await connectClient(url);
    const expired: unknown[] = [];
    watcher.socket.on('job-expired', (notice) => expired.push(notice));
    const gotA = received(watcher, 'job-a');
    expect(await subscribe(watcher, { jobId: 'job-a' })).toMatchObject({ ok: true, snapshot: a1 });
    expect(await subscribe(watcher, { jobId: 'job-b' })).toMatchObject({ ok: true, snapshot: null });
    await server.update('job-b', { status: 'running' });
    const a2 = await server.update('job-a', { status: 'completed' });
    await vi.waitFor(() => expect([got, gotA]).toEqual([[a1, a2], [a2]]));

    // Both jobs' keys go, as Redis expiry (or a restart without persistence) takes them, and the subscription is cut.
    const admin = new Redis(redis.url);
    clients.push(admin);
    await admin.del(...(await admin.keys(`${keyPrefix}*`)));
    expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1);

    // Both rooms are decided in one batch of the catch-up: job-b's notice says it ran.
    await vi.waitFor(() => expect(expired).toEqual([expect.objectContaining({ jobId: 'job-b', reason: 'gone' })]), { timeout: 10_000, interval: 20 });
    expect(expired).toHaveLength(1);
    expect([got, gotA]).toEqual([[a1, a2], [a2]]);
  });

  it.each(['classic', 'sharded'] as const)(
    '%s fan-out: after a catch-up sent a room the snapshot, an older update the room never got (a retried publish arriving late) is not sent after it',
    { timeout: 30_000 },
    async (fanout) => {
      const { keyPrefix, got, a1 } = await watchJobA(fanout);

      // a2 and a3 go into the store unpublished while the subscription is cut: the catch-up sends the room a3.
      const writer = new Redis(redis.url);
      const admin = new Redis(redis.url);
      clients.push(writer, admin);
      const writerStore = new RedisJobStore({ client: writer, keyPrefix });
      const a2 = await writerStore.append('job-a', { status: 'running', progress: 20 }, Date.now());
      const a3 = await writerStore.append('job-a', { status: 'running', progress: 30 }, Date.now());
      expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1);
      await vi.waitFor(() => expect(got).toEqual([a1, a3]), { timeout: 10_000, interval: 20 });

      // Through Redis, on one connection: a4, then the late a2 (below the snapshot, never sent to the room), then a5.
      const publish = redisBroadcaster(writer, keyPrefix, fanout, 'job-a');
      const a4 = await writerStore.append('job-a', { status: 'running', progress: 40 }, Date.now());
      const a5 = await writerStore.append('job-a', { status: 'completed' }, Date.now());
      for (const update of [a4, a2, a5]) await publish(update);

      await vi.waitFor(() => expect(got).toEqual([a1, a3, a4, a5]));
    },
  );

  it('a volatile job-update to a job’s room is not noted as sent: the same update broadcast normally afterwards still reaches the watcher', { timeout: 30_000 }, async () => {
    const { keyPrefix, server, got, a1 } = await watchJobA();

    const writer = new Redis(redis.url);
    clients.push(writer);
    const a2 = await new RedisJobStore({ client: writer, keyPrefix }).append('job-a', { status: 'running', progress: 20 }, Date.now());
    // A volatile broadcast skips sockets whose transport cannot take it now: it proves no delivery to the room.
    server.io.volatile.to(jobRoom('job-a')).emit(EventName.JobUpdate, a2);
    server.io.to(jobRoom('job-a')).emit(EventName.JobUpdate, a2);
    const a3 = await server.update('job-a', { status: 'completed' });

    await vi.waitFor(() => expect(got).toEqual([a1, a2, a2, a3]));
  });

  it.each(['classic', 'sharded'] as const)(
    '%s fan-out: an update a room was already sent, broadcast to it again (the same Redis message twice, or the application), reaches no watcher a second time; an overtaken update it was not sent still goes',
    { timeout: 30_000 },
    async (fanout) => {
      const { keyPrefix, server, url, got, a1 } = await watchJobA(fanout);
      const a2 = await server.update('job-a', { status: 'running', progress: 20 });
      await vi.waitFor(() => expect(got).toEqual([a1, a2]));
      // A socket that joins now has a2 from its subscribe reply.
      const late = await connectClient(url);
      const gotLate = received(late, 'job-a');
      expect(await subscribe(late, { jobId: 'job-a' })).toMatchObject({ ok: true, snapshot: a2 });
      // The application broadcasts a2 to the room again.
      server.io.to(jobRoom('job-a')).emit(EventName.JobUpdate, a2);

      // Through Redis, on one connection (the node's subscriber receives them in this order): a1 and a2 again (what a
      // second subscription or a retried publish does), a4 before a3 (as when two nodes race), both again, then a5.
      const writer = new Redis(redis.url);
      clients.push(writer);
      const writerStore = new RedisJobStore({ client: writer, keyPrefix });
      const publish = redisBroadcaster(writer, keyPrefix, fanout, 'job-a');
      const a3 = await writerStore.append('job-a', { status: 'running', progress: 30 }, Date.now());
      const a4 = await writerStore.append('job-a', { status: 'running', progress: 40 }, Date.now());
      for (const update of [a1, a2, a4, a3, a3, a4]) await publish(update);
      const a5 = await writerStore.append('job-a', { status: 'completed' }, Date.now());
      await publish(a5);

      await vi.waitFor(() => expect(got).toEqual([a1, a2, a4, a3, a5]));
      await vi.waitFor(() => expect(gotLate).toEqual([a4, a3, a5]));
    },
  );
});
