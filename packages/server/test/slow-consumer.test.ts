import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { JobServer } from '../src/index';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { openNeverPollingTransport } from './support/never-polling-client';
import { startSlowLinkRelay } from './support/slow-link-relay';
import { connectClient, createTestClient, recordUpdates, subscribe, underlyingWebSocket } from './support/test-client';

installLeakCheck();

/** Lets sockets read and write between two publishes (a paced publisher, not a synchronization sleep). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const UPDATE_DATA = { blob: 'x'.repeat(4096) };
/** Most updates a test publishes while waiting for the kernel buffers of a paused reader to fill. */
const MAX_UPDATES = 20_000;

/** Publishes progress on `jobId` until `done()` holds (bounded); resolves how many it published and the largest pending bytes seen. */
async function publishUntil(server: JobServer, jobId: string, done: () => boolean): Promise<{ published: number; maxPending: number }> {
  let published = 0;
  let maxPending = 0;
  while (!done()) {
    if (published >= MAX_UPDATES) throw new Error(`no backlog after ${MAX_UPDATES} updates`);
    await server.update(jobId, { status: 'running', progress: published % 100, data: UPDATE_DATA });
    published += 1;
    maxPending = Math.max(maxPending, server.maintenance.pendingOutboundBytes());
    await nextTurn();
  }
  return { published, maxPending };
}

/** TCP connections the server's HTTP server holds open. */
function openTcpConnections(server: JobServer): Promise<number> {
  return new Promise((resolve, reject) => server.io.httpServer.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/** Seqs strictly increase. */
function expectIncreasingSeqs(updates: JobUpdate[]): void {
  for (let i = 1; i < updates.length; i += 1) expect(updates[i]!.seq).toBeGreaterThan(updates[i - 1]!.seq);
}

/** The seqs of the updates that jumped (came after skipped ones), and of those marked `conflated`: the same list. */
function jumpsAndMarks(updates: JobUpdate[]): { jumped: number[]; marked: number[] } {
  return {
    jumped: updates.filter((update, i) => i > 0 && update.seq > updates[i - 1]!.seq + 1).map((update) => update.seq),
    marked: updates.filter((update) => update.conflated === true).map((update) => update.seq),
  };
}

describe('a reader that stops reading', () => {
  it('gets only the latest state of its job while behind, pending bytes stay bounded, and the terminal arrives last', async () => {
    const conflateAboveBytes = 32 * 1024;
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes } } });
    const healthy = await connectClient(url);
    const slow = await connectClient(url);
    const healthyUpdates = recordUpdates(healthy);
    const slowUpdates = recordUpdates(slow);
    await subscribe(healthy, { jobId: 'render' });
    await subscribe(slow, { jobId: 'render' });
    underlyingWebSocket(slow).pause();

    const { published, maxPending } = await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 500);
    expect(server.stats().pendingConflations).toBeGreaterThanOrEqual(1);
    // One update over the watermark at most, plus Engine.IO's own small packets.
    expect(maxPending).toBeLessThan(conflateAboveBytes + 2 * 4096 + 1024);
    const terminal = await server.update('render', { status: 'completed', progress: 100 });
    expect(terminal.seq).toBe(published + 1);

    underlyingWebSocket(slow).resume();
    // The terminal replaced the state held for the paused reader, so it says that states were skipped before it.
    await vi.waitFor(() => expect(slowUpdates.at(-1)).toEqual({ ...terminal, conflated: true }), { timeout: 20_000 });
    await vi.waitFor(() => expect(healthyUpdates.at(-1)).toEqual(terminal), { timeout: 20_000 });
    expectIncreasingSeqs(slowUpdates);
    expectIncreasingSeqs(healthyUpdates);
    // The paused reader skipped states (seq jumped) yet lost nothing that mattered: its last update is the terminal.
    expect(slowUpdates.length).toBeLessThan(published + 1);
    // Every jump, and only a jump, is marked, so a client tells it from a gap; the healthy reader saw no mark.
    const { jumped, marked } = jumpsAndMarks(slowUpdates);
    expect(jumped.length).toBeGreaterThan(0);
    expect(marked).toEqual(jumped);
    expect(jumpsAndMarks(healthyUpdates)).toEqual({ jumped: [], marked: [] });
    expect(server.stats().pendingConflations).toBe(0);
    expect(server.counters().slowConsumerDisconnects).toBe(0);
  });

  it('gets a held state as it was published, whatever the application does to its data object afterwards', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 32 * 1024 } } });
    const slow = await connectClient(url);
    const slowUpdates = recordUpdates(slow);
    await subscribe(slow, { jobId: 'render' });
    await subscribe(slow, { jobId: 'report' });
    underlyingWebSocket(slow).pause();
    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);

    const data = { step: 'published' };
    const held = await server.update('report', { status: 'running', progress: 50, data });
    expect(server.stats().pendingConflations).toBe(2);
    // The application reuses its object for its next state, which it has not published yet.
    data.step = 'changed after update()';

    underlyingWebSocket(slow).resume();
    await vi.waitFor(() => expect(server.stats().pendingConflations).toBe(0), { timeout: 20_000 });
    await vi.waitFor(() => expect(slowUpdates.filter((update) => update.jobId === 'report')).toEqual([{ ...held, data: { step: 'published' } }]));
  });

  it("holds each job update written during a broadcast under its own job, with its own state, one that an onAnyOutgoing listener writes first included", async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 32 * 1024 } } });
    const slow = await connectClient(url);
    const slowUpdates = recordUpdates(slow);
    await subscribe(slow, { jobId: 'render' });
    const report = await server.update('report', { status: 'running', progress: 10 });
    await subscribe(slow, { jobId: 'report' });
    underlyingWebSocket(slow).pause();
    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);

    // The application's listener writes a job update of another job to this socket as the next broadcast reaches it,
    // so that the socket's writer sees it before the broadcast's own packet.
    const [socket] = [...server.io.sockets.sockets.values()];
    const written = { ...report, seq: report.seq + 1, progress: 20, data: { from: 'listener' } };
    let writing = false;
    socket!.onAnyOutgoing((event, payload: { jobId?: string }) => {
      if (writing || event !== 'job-update' || payload.jobId !== 'render') return;
      writing = true;
      socket!.emit('job-update', written);
    });
    const published = await server.update('render', { status: 'running', progress: 99, data: { step: 'last' } });
    expect(writing).toBe(true);
    expect(server.stats().pendingConflations).toBe(2);

    underlyingWebSocket(slow).resume();
    await vi.waitFor(() => expect(server.stats().pendingConflations).toBe(0), { timeout: 20_000 });
    await vi.waitFor(() => expect(slowUpdates.filter((update) => update.jobId === 'render').at(-1)).toMatchObject({ ...published, conflated: true }));
    expect(slowUpdates.filter((update) => update.jobId === 'report').at(-1)).toMatchObject(written);
  });

  it('is closed as a slow consumer once even terminal states pile up past the cap, and recovers by lastSeq after reconnecting', async () => {
    const warnings: Array<{ fields: unknown; message: string }> = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (fields: unknown, message: string) => warnings.push({ fields, message }) };
    const { server, url } = await startJobServer({
      heartbeat: DORMANT_HEARTBEAT,
      logger,
      limits: { outbound: { conflateAboveBytes: 16 * 1024, maxPendingBytes: 64 * 1024 } },
    });
    const disconnects: string[] = [];
    server.on('disconnect', ({ reason }) => disconnects.push(reason));
    const slow = await connectClient(url);
    const batchJobs = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
    for (const jobId of ['render', ...batchJobs]) await subscribe(slow, { jobId });
    underlyingWebSocket(slow).pause();

    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);
    // Terminal states are never held back: 20 of 8 KB pass the 64 KB cap.
    for (const jobId of batchJobs) await server.update(jobId, { status: 'completed', data: { blob: 'y'.repeat(8192) } });
    await vi.waitFor(() => expect(disconnects).toEqual(['slow-consumer']));
    expect(server.counters().slowConsumerDisconnects).toBe(1);
    expect(warnings.some(({ message }) => message.includes('slow consumer'))).toBe(true);
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, pendingConflations: 0 });
    // Its TCP socket, and the backlog in it, go at once (not after ws's 30 s close timeout), the reader still stalled.
    await vi.waitFor(async () => expect(await openTcpConnections(server)).toBe(0), { timeout: 3000 });

    underlyingWebSocket(slow).resume();
    await vi.waitFor(() => expect(slow.socket.connected).toBe(false));
    const latest = await server.update('render', { status: 'completed', progress: 100 });
    const again = await connectClient(url);
    const ack = await subscribe(again, { jobId: 'render', lastSeq: latest.seq - 1, epoch: latest.epoch });
    expect(ack).toMatchObject({ ok: true, resync: false, updates: [latest] });
  });

  it('counts what is pending in bytes of UTF-8, not characters: a reader of text outside ASCII is closed once its bytes pass the cap', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 16 * 1024, maxPendingBytes: 64 * 1024 } } });
    const disconnects: string[] = [];
    server.on('disconnect', ({ reason }) => disconnects.push(reason));
    const slow = await connectClient(url);
    const batchJobs = Array.from({ length: 6 }, (_, i) => `batch-${i}`);
    for (const jobId of ['render', ...batchJobs]) await subscribe(slow, { jobId });
    underlyingWebSocket(slow).pause();
    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);
    // Six terminal states of 4,000 characters, 12,000 bytes each: about 24,000 characters, but 72,000 bytes past the backlog.
    const text = '漢'.repeat(4000);
    for (const jobId of batchJobs) await server.update(jobId, { status: 'completed', data: { text } });
    await vi.waitFor(() => expect(disconnects).toEqual(['slow-consumer']));
    underlyingWebSocket(slow).resume();
  });

  it('answers a resubscribe whose replay would not fit under the watermark with a resync to the snapshot, and stays connected', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 16 * 1024, maxPendingBytes: 64 * 1024 } } });
    const disconnects: string[] = [];
    server.on('disconnect', ({ reason }) => disconnects.push(reason));
    // 20 updates of 8 KB: replayed whole, they would pass the 64 KB cap on their own.
    let latest = await server.update('render', { status: 'running', progress: 0, data: { blob: 'z'.repeat(8192) } });
    const first = latest;
    for (let i = 1; i < 20; i += 1) latest = await server.update('render', { status: 'running', progress: i, data: { blob: 'z'.repeat(8192) } });
    const client = await connectClient(url);
    const behindByMany = await subscribe(client, { jobId: 'render', lastSeq: first.seq, epoch: first.epoch });
    expect(behindByMany).toMatchObject({ ok: true, resync: true, updates: [], snapshot: latest });
    // One update fits: it is replayed as before.
    await server.update('idle', { status: 'running', progress: 1 });
    const small = await server.update('idle', { status: 'running', progress: 2 });
    const behindByOne = await subscribe(client, { jobId: 'idle', lastSeq: small.seq - 1, epoch: small.epoch });
    expect(behindByOne).toMatchObject({ ok: true, resync: false, updates: [small] });
    expect(client.socket.connected).toBe(true);
    expect(disconnects).toEqual([]);
  });

  it('answers a connection that is already behind with the snapshot alone', async () => {
    const conflateAboveBytes = 16 * 1024;
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes } } });
    const slow = await connectClient(url);
    await subscribe(slow, { jobId: 'render' });
    const first = await server.update('report', { status: 'running', progress: 1 });
    const latest = await server.update('report', { status: 'running', progress: 2 });
    underlyingWebSocket(slow).pause();
    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);
    // Asked while the connection is behind; read once it reads again.
    const reply = subscribe(slow, { jobId: 'report', lastSeq: first.seq, epoch: first.epoch });
    await vi.waitFor(() => expect(server.stats().subscriptions).toBe(2));
    underlyingWebSocket(slow).resume();
    expect(await reply).toMatchObject({ ok: true, resync: true, updates: [], snapshot: latest });
  });

  it('sends what it held for a long-polling connection as soon as the connection upgrades to a WebSocket', async () => {
    // The ticker, which would also send it, runs only every minute here; every byte queued counts as behind.
    const { server, url } = await startJobServer({
      heartbeat: { intervalMs: 2 ** 31 - 1, timeoutMs: 60_000 },
      session: { noticeGraceMs: 60_000 },
      limits: { outbound: { conflateAboveBytes: 0 } },
    });
    const client = createTestClient(url, { transports: ['polling', 'websocket'] });
    const updates = recordUpdates(client);
    let upgraded = false;
    client.socket.connect();
    // The client tries the WebSocket only a moment after it opened, so that updates flow over long-polling first.
    const engine = client.socket.io.engine as unknown as { _probe(name: string): void; once(event: 'upgrade', listener: () => void): void };
    const probe = engine._probe.bind(engine);
    engine._probe = (name) => void setTimeout(() => probe(name), 300);
    engine.once('upgrade', () => (upgraded = true));
    await vi.waitFor(() => expect(client.socket.connected).toBe(true));
    await subscribe(client, { jobId: 'render' });
    let latest: JobUpdate | undefined;
    for (let i = 0; i < MAX_UPDATES && !upgraded; i += 1) {
      latest = await server.update('render', { status: 'running', progress: i % 100 });
      await nextTurn();
    }
    expect(upgraded).toBe(true);
    expect(server.counters().conflatedUpdates).toBeGreaterThan(0);
    await vi.waitFor(() => expect(updates.at(-1)?.seq).toBe(latest!.seq), { timeout: 3000 });
    expect(server.stats().pendingConflations).toBe(0);
  });

  it('sends a held update before an update of another history of its job, rather than dropping either', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 16 * 1024 } } });
    const slow = await connectClient(url);
    const updates = recordUpdates(slow);
    await subscribe(slow, { jobId: 'render' });
    underlyingWebSocket(slow).pause();
    await publishUntil(server, 'render', () => server.counters().conflatedUpdates >= 1);
    const held = await server.getJob('render');
    // As a late update of an earlier history, from another node, would be written: seq says nothing across epochs.
    const otherHistory: JobUpdate = { jobId: 'render', epoch: `${held!.epoch}-earlier`, seq: held!.seq + 5, status: 'running', progress: 1, at: Date.now() };
    server.io.of('/').sockets.get(slow.socket.id!)!.emit('job-update', otherHistory);
    expect(server.stats().pendingConflations).toBe(1);
    underlyingWebSocket(slow).resume();
    await vi.waitFor(() => expect(updates.at(-1)).toMatchObject({ epoch: otherHistory.epoch, seq: otherHistory.seq }));
    expect(updates.at(-2)).toMatchObject({ epoch: held!.epoch, seq: held!.seq });
    expect(updates.at(-1)?.conflated).toBeUndefined();
  });

  it('catches up on many jobs in steps under the watermark, so that a reader slow but alive is not closed for catching up', async () => {
    const conflateAboveBytes = 16 * 1024;
    // A rate limit that lets one connection subscribe to 200 jobs in a row.
    const limits = { outbound: { conflateAboveBytes, maxPendingBytes: 256 * 1024 }, rateLimit: { events: 500 } };
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits });
    const disconnects: string[] = [];
    server.on('disconnect', ({ reason }) => disconnects.push(reason));
    const relay = await startSlowLinkRelay(Number(new URL(url).port));
    try {
      const reader = await connectClient(relay.url);
      const jobIds = Array.from({ length: 200 }, (_, i) => `job-${i}`);
      for (const jobId of jobIds) await subscribe(reader, { jobId });
      relay.stall();
      // 200 jobs of 12 KB states, held once the link is full: 2.4 MB, far past the cap if they were all sent at once.
      const state = { blob: 'w'.repeat(12 * 1024) };
      for (let round = 0; server.stats().pendingConflations < jobIds.length; round += 1) {
        if (round * jobIds.length >= MAX_UPDATES) throw new Error('the link never filled');
        // Catching up whenever its queue dips under the watermark must never take it past the cap.
        expect(disconnects).toEqual([]);
        for (const jobId of jobIds) await server.update(jobId, { status: 'running', progress: round % 100, data: state });
        await nextTurn();
      }
      // The link takes 1 MB more (the kernel reopens a full window only in large steps): the server's queue drains, and
      // it sends held states only up to the watermark.
      await relay.readSome(1024 * 1024);
      await vi.waitFor(() => expect(server.stats().pendingConflations).toBeLessThan(jobIds.length));
      expect(server.maintenance.pendingOutboundBytes()).toBeLessThan(conflateAboveBytes + 2 * 13 * 1024);
      await server.update('job-0', { status: 'running', progress: 100, data: state });
      expect(disconnects).toEqual([]);
      expect(server.stats().connections).toBe(1);
    } finally {
      await relay.close();
    }
  }, 15_000);
});

/** The Engine.IO connection of the server's only transport. */
function onlyTransport(server: JobServer): EngineTransportView {
  const { clients } = server.io.engine as unknown as { clients: Record<string, EngineTransportView> };
  const [conn] = Object.values(clients);
  if (!conn) throw new Error('the server has no transport');
  return conn;
}

/** What these tests read of an Engine.IO connection. */
interface EngineTransportView {
  readonly readyState: string;
  readonly transport: { listenerCount(event: string): number };
  listenerCount(event: string): number;
}

describe('a client that never reads and reconnects its namespace on one long-polling transport', () => {
  const connect = '40{"protocolVersion":1}';

  it('is closed as a slow consumer once the replies to its subscribes pass the byte cap, not only at the next tick', async () => {
    const maxPendingBytes = 64 * 1024;
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 16 * 1024, maxPendingBytes } } });
    await server.update('report', { status: 'running', progress: 1, data: { blob: 'z'.repeat(8 * 1024) } });
    const transport = await openNeverPollingTransport(url);
    let ack = 0;
    // Each cycle: a connection, four subscribes (each reply carries the 8 KiB snapshot), its disconnect, and a pong.
    for (let cycle = 0; cycle < 10 && server.counters().slowConsumerDisconnects === 0; cycle += 1) {
      if ((await transport.send(connect)) !== 200) break;
      await vi.waitFor(() => expect(server.stats().connections).toBe(1));
      const subscribes = Array.from({ length: 4 }, () => `42${ack++}["subscribe-job",{"jobId":"report"}]`);
      if ((await transport.send(...subscribes, '41', '3')) !== 200) break;
      await vi.waitFor(() => expect(server.stats().connections).toBe(0));
    }
    // Past 64 KiB after at most 9 replies (72 KiB), well within the ten cycles.
    expect(server.counters().slowConsumerDisconnects).toBe(1);
    await vi.waitFor(() => expect(server.io.engine.clientsCount).toBe(0));
    expect(await transport.send(connect)).toBe(400);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, pendingTransports: 0, subscriptions: 0, rateLimitRecords: 0 }));
  });

  it('leaves one drain and one upgrade listener on the transport however many of its connections had updates held', async () => {
    const { server, url } = await startJobServer({
      heartbeat: DORMANT_HEARTBEAT,
      limits: { rateLimit: { events: 10_000, windowMs: 1000 }, outbound: { conflateAboveBytes: 16 * 1024, maxPendingBytes: 1024 * 1024 } },
    });
    const transport = await openNeverPollingTransport(url);
    let ack = 0;
    const subscribed = async (): Promise<void> => {
      expect(await transport.send(connect)).toBe(200);
      await vi.waitFor(() => expect(server.stats().connections).toBe(1));
      expect(await transport.send(`42${ack++}["subscribe-job",{"jobId":"busy"}]`)).toBe(200);
      await vi.waitFor(() => expect(server.stats().subscriptions).toBe(1));
    };
    await subscribed();
    // Past the watermark, for good: nothing is ever polled.
    for (let i = 0; i < 3; i += 1) await server.update('busy', { status: 'running', progress: i, data: { blob: 'z'.repeat(8 * 1024) } });
    const conn = onlyTransport(server);
    const before = { drain: conn.transport.listenerCount('drain'), upgrade: conn.listenerCount('upgrade') };
    for (let cycle = 0; cycle < 20; cycle += 1) {
      expect(await transport.send('41', '3')).toBe(200);
      await vi.waitFor(() => expect(server.stats().connections).toBe(0));
      await subscribed();
      // Held for the new connection: it waits for the transport's drain (or upgrade).
      await server.update('busy', { status: 'running', progress: cycle, data: { cycle } });
      await vi.waitFor(() => expect(server.stats().pendingConflations).toBe(1));
    }
    expect(conn.transport.listenerCount('drain')).toBeLessThanOrEqual(before.drain + 1);
    expect(conn.listenerCount('upgrade')).toBeLessThanOrEqual(before.upgrade + 1);
    expect(conn.readyState).toBe('open');
  });
});
