import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { DisconnectEvent } from '../src/index';
import { useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

/** The socket without the protocol's typing: what a broken or hostile client can send. */
interface UntypedSocket {
  emit(event: string, ...args: unknown[]): void;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
}
const untyped = (client: TestClient): UntypedSocket => client.socket as unknown as UntypedSocket;
const ask = (client: TestClient, event: string, ...args: unknown[]): Promise<unknown> => untyped(client).timeout(5000).emitWithAck(event, ...args);

/** Updates of `jobId` the client receives from now on. */
function updatesOf(client: TestClient, jobId: string): JobUpdate[] {
  const received: JobUpdate[] = [];
  client.socket.on('job-update', (update) => {
    if (update.jobId === jobId) received.push(update);
  });
  return received;
}

describe('PROTOCOL.md §3 edge rules, on a real socket', () => {
  describe('extra arguments', () => {
    it('answers a subscribe-job with a second argument before its acknowledgement INVALID_PAYLOAD, and subscribes nothing', async () => {
      const { server, url } = await startJobServer();
      const client = await connectClient(url);
      expect(await ask(client, 'subscribe-job', { jobId: 'extra' }, { lastSeq: 3 })).toEqual({
        ok: false,
        error: { code: ErrorCode.INVALID_PAYLOAD, message: 'subscribe-job: takes one payload argument before its acknowledgement, got 2' },
      });
      expect(server.stats()).toMatchObject({ subscriptions: 0, watchedJobs: 0 });
      expect(server.counters().invalidPayloads).toBe(1);
    });

    it('answers an unsubscribe-job with extra arguments INVALID_PAYLOAD, and the subscription stays', async () => {
      const { server, url } = await startJobServer();
      const client = await connectClient(url);
      const received = updatesOf(client, 'kept');
      await subscribe(client, { jobId: 'kept' });
      expect(await ask(client, 'unsubscribe-job', { jobId: 'kept' }, 'and', 'more')).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });
      await server.update('kept', { status: 'running' });
      await vi.waitFor(() => expect(received.map((update) => update.seq)).toEqual([1]));
      expect(server.stats().subscriptions).toBe(1);
    });
  });

  describe('events without an acknowledgement', () => {
    it('drops a subscribe-job or unsubscribe-job sent without an acknowledgement: it subscribes and unsubscribes nothing, and is counted', async () => {
      const { server, url } = await startJobServer();
      const client = await connectClient(url);
      const received = updatesOf(client, 'watched');
      await subscribe(client, { jobId: 'watched' });
      untyped(client).emit('subscribe-job', { jobId: 'never' });
      untyped(client).emit('unsubscribe-job', { jobId: 'watched' });
      await vi.waitFor(() => expect(server.counters().missingAcks).toBe(2));
      expect(server.stats()).toMatchObject({ subscriptions: 1, watchedJobs: 1 });
      await server.update('watched', { status: 'completed' });
      await vi.waitFor(() => expect(received.map((update) => update.status)).toEqual(['completed']));
    });

    it('does not count an event without an acknowledgement, or an unknown event, as activity', async () => {
      let clock = 1_000_000;
      const { server, url } = await startJobServer({ now: () => clock });
      const disconnects: DisconnectEvent[] = [];
      server.on('disconnect', (event) => disconnects.push(event));
      const client = await connectClient(url);
      await subscribe(client, { jobId: 'watched' });
      const activeAt = clock;

      clock += 60_000;
      untyped(client).emit('subscribe-job', { jobId: 'never' });
      untyped(client).emit('no-such-event', {}, () => undefined);
      await vi.waitFor(() => expect(server.counters()).toMatchObject({ missingAcks: 1, unknownEvents: 1 }));
      client.socket.disconnect();
      await vi.waitFor(() => expect(disconnects).toHaveLength(1));
      expect(disconnects[0]?.lastActivityAt).toBe(activeAt);
    });
  });

  describe('unknown and reserved event names', () => {
    it('never answers an unknown event, even one sent with an acknowledgement, counts it and keeps the connection', async () => {
      const { server, url } = await startJobServer();
      const client = await connectClient(url);
      const unanswered: unknown[] = [];
      for (const event of ['drop-database', 'job-update', 'heartbeat', 'error', 'constructor']) {
        untyped(client).emit(event, { jobId: 'x' }, (reply: unknown) => unanswered.push([event, reply]));
      }
      // Requests are answered in order after whatever came before them: by now any answer to the others would be here.
      expect(await subscribe(client, { jobId: 'after-unknown' })).toMatchObject({ ok: true });
      expect(unanswered).toEqual([]);
      expect(server.counters()).toMatchObject({ unknownEvents: 5, malformedPackets: 0 });
      expect(client.socket.connected).toBe(true);
    });

    it.each(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'])(
      'closes the connection of a client that sends an event named %s (a Socket.IO reserved name: an undecodable packet)',
      async (reserved) => {
        const { server, url } = await startJobServer();
        const bystander = await connectClient(url);
        const sender = await connectClient(url);
        await subscribe(sender, { jobId: 'spoofed' });
        // socket.io-client refuses to emit reserved names; a client without it writes the frame itself.
        sender.socket.io.engine.send(`42${JSON.stringify([reserved, 'spoofed'])}`);
        await vi.waitFor(() => expect(sender.disconnectReasons).toEqual(['transport close']));
        await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, watchedJobs: 0 }));
        expect(server.counters().malformedPackets).toBe(1);
        expect(await subscribe(bystander, { jobId: 'still-served' })).toMatchObject({ ok: true });
      },
    );
  });

  describe('rate limit', () => {
    it('counts every client event against the bucket: unknown, without acknowledgement, with extra arguments, refused or not; acknowledgements do not count', async () => {
      const { now } = useFakeClock();
      const { server, url } = await startJobServer({ now, heartbeat: { intervalMs: 1000, timeoutMs: 1000 }, limits: { rateLimit: { events: 5, windowMs: 60_000, abuseStrikes: 100 } } });
      const client = await connectClient(url);
      const probes: number[] = [];
      client.socket.on('heartbeat', ({ ts }, ack) => {
        if (ack) probes.push(ts);
      });
      // Five probes answered (acknowledgements) before any event is sent: had they counted, the bucket of 5 would be
      // empty (5 s refill well under one event) and the first event below refused. (The welcome heartbeat asks for no answer.)
      for (let round = 1; round <= 5; round += 1) {
        await vi.advanceTimersByTimeAsync(1000);
        await vi.waitFor(() => expect(probes).toHaveLength(round));
        await vi.waitFor(() => expect(server.stats().pendingHeartbeats).toBe(0));
      }
      expect(server.counters()).toMatchObject({ heartbeatTimeouts: 0, invalidHeartbeatAnswers: 0, rateLimited: 0 });
      untyped(client).emit('drop-database', {});
      untyped(client).emit('error', {});
      untyped(client).emit('subscribe-job', { jobId: 'no-ack' });
      expect(await ask(client, 'subscribe-job', { jobId: 'extra' }, 'argument')).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });
      expect(await ask(client, 'subscribe-job', { jobId: '' })).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });

      expect(await subscribe(client, { jobId: 'one-too-many' })).toEqual({
        ok: false,
        error: { code: ErrorCode.RATE_LIMITED, message: 'too many events; slow down', retryAfterMs: expect.any(Number) },
      });
      expect(server.counters()).toMatchObject({ rateLimited: 1, unknownEvents: 2, missingAcks: 1, invalidPayloads: 2 });
    });

    it('counts refused events without an acknowledgement toward the rate-limited notice', async () => {
      const { server, url } = await startJobServer({ limits: { rateLimit: { events: 2, windowMs: 60_000, abuseStrikes: 3 } } });
      const client = await connectClient(url);
      for (let sent = 0; sent < 5; sent += 1) untyped(client).emit('unknown-event', sent);
      await vi.waitFor(() => expect(client.notices.map((notice) => notice.reason)).toEqual(['rate-limited']));
      await vi.waitFor(() => expect(client.disconnectReasons).toEqual(['io server disconnect']));
      expect(server.counters()).toMatchObject({ rateLimited: 3, unknownEvents: 2 });
    });
  });

  describe('lastSeq greater than the job\'s seq', () => {
    it('answers resync with the current snapshot and no updates, with or without the current epoch', async () => {
      const { server, url } = await startJobServer();
      const client = await connectClient(url);
      for (const progress of [10, 20, 30]) await server.update('ahead', { status: 'running', progress });
      const snapshot = await server.getJob('ahead');
      expect(snapshot?.seq).toBe(3);
      const resync = { ok: true, jobId: 'ahead', epoch: snapshot?.epoch, snapshot, updates: [], resync: true };
      expect(await subscribe(client, { jobId: 'ahead', lastSeq: 10 })).toEqual(resync);
      expect(await subscribe(client, { jobId: 'ahead', lastSeq: 4, epoch: snapshot?.epoch })).toEqual(resync);
      // At the job's own seq there is nothing to replay and nothing to resync.
      expect(await subscribe(client, { jobId: 'ahead', lastSeq: 3, epoch: snapshot?.epoch })).toMatchObject({ updates: [], resync: false });
    });

    it('answers resync with a null snapshot for a job the server does not hold (the job is gone for this client)', async () => {
      const { url } = await startJobServer();
      const client = await connectClient(url);
      expect(await subscribe(client, { jobId: 'unknown', lastSeq: 7 })).toEqual({ ok: true, jobId: 'unknown', epoch: null, snapshot: null, updates: [], resync: true });
    });
  });
});
