// Child process generating load: raw socket.io-client connections (websocket transport, one engine
// per socket), each subscribed to a job, counting the `job-update`s it receives. The same client
// code drives both servers, so the only difference measured is the server.
import { io as connect } from 'socket.io-client';
import { EventName, PROTOCOL_VERSION } from '@org/ws-protocol';
import { serveRequests } from './ipc-channel.mjs';

const now = () => performance.timeOrigin + performance.now();
let sockets = [];
let expectation = null;

function openOne(url, jobId) {
  return new Promise((resolve, reject) => {
    const socket = connect(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 20_000,
      auth: { protocolVersion: PROTOCOL_VERSION },
    });
    socket.received = 0;
    socket.on(EventName.Heartbeat, (probe, ack) => ack?.({ ts: probe.ts }));
    socket.on(EventName.ServerTimeoutNotice, (notice, ack) => ack?.({ reason: notice.reason }));
    socket.on(EventName.JobUpdate, (update) => {
      socket.received += 1;
      socket.lastStatus = update.status;
      if (expectation && socket.received === expectation.updates) {
        expectation.lastAt = now();
        expectation.complete += 1;
        if (expectation.complete === sockets.length) expectation.resolve();
      }
    });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
    socket.once('connect', () => {
      socket.emit(EventName.SubscribeJob, { jobId }, (reply) => {
        if (reply?.ok) resolve(socket);
        else {
          socket.close();
          reject(new Error(`subscribe refused: ${JSON.stringify(reply)}`));
        }
      });
    });
  });
}

serveRequests({
  /** Opens `count` more subscribed connections, at most `concurrency` handshakes in flight. */
  async open({ url, count, concurrency, jobPrefix, jobModulo }) {
    const startedAt = now();
    let next = 0;
    let opened = 0;
    let failed = 0;
    let firstError;
    async function worker() {
      while (next < count) {
        const index = next++;
        try {
          sockets.push(await openOne(url, `${jobPrefix}${index % jobModulo}`));
          opened += 1;
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { opened, failed, firstError, startedAt, elapsedMs: now() - startedAt };
  },
  /** From now on, counts every socket's updates until each has `updates` of them. */
  arm({ updates }) {
    for (const socket of sockets) socket.received = 0;
    let resolve;
    const done = new Promise((r) => (resolve = r));
    expectation = { updates, complete: 0, lastAt: 0, resolve, done };
    if (sockets.length === 0) resolve();
    return sockets.length;
  },
  /** Waits until every socket has its expected updates (or the timeout), then reports the last arrival. */
  async collect({ timeoutMs }) {
    const current = expectation;
    let timer;
    await Promise.race([current.done, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    expectation = null;
    const received = sockets.reduce((sum, socket) => sum + socket.received, 0);
    return { complete: current.complete === sockets.length, lastAt: current.lastAt, received };
  },
  /** Waits until every socket's latest update has `status` (or the timeout); reports each one's updates and latest status. */
  async waitForStatus({ status, timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    while (sockets.some((socket) => socket.lastStatus !== status) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return sockets.map((socket) => ({ received: socket.received, lastStatus: socket.lastStatus }));
  },
  /** Closes every connection (a clean client-side disconnect). */
  closeAll() {
    const closed = sockets.length;
    for (const socket of sockets) socket.close();
    sockets = [];
    return closed;
  },
});
