// Child process generating load: raw socket.io-client connections (websocket transport, one engine
// per socket), each subscribed to a job, counting the `job-update`s it receives. The same client
// code drives both servers, so the only difference measured is the server.
import { io as connect } from 'socket.io-client';
import { EventName, PROTOCOL_VERSION } from '@org/ws-protocol';
import { serveRequests } from './ipc-channel.mjs';

const now = () => performance.timeOrigin + performance.now();
let sockets = [];
/** Connected sockets that have not subscribed yet, with the job each is to watch (see `open`'s `subscribe`). */
let unsubscribed = [];
let expectation = null;
/** While set, how long each update took from the server's `at` to this process, in milliseconds. */
let latencies = null;

/** Sends `subscribe-job` for `jobId`; resolves once the server acknowledged it, rejects (closing the socket) on a refusal. */
function subscribeOne(socket, jobId) {
  return new Promise((resolve, reject) => {
    socket.emit(EventName.SubscribeJob, { jobId }, (reply) => {
      if (reply?.ok) resolve(socket);
      else {
        socket.close();
        reject(new Error(`subscribe refused: ${JSON.stringify(reply)}`));
      }
    });
  });
}

/** Opens one connection; resolves once it is connected (and, with `subscribe`, subscribed to `jobId`). */
function openOne(url, jobId, subscribe) {
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
      // `sentAt` (sub-ms, when the publisher stamps it) from the same clock as `now()`; otherwise the server's whole-ms `at`.
      latencies?.push(typeof update.data?.sentAt === 'number' ? now() - update.data.sentAt : Date.now() - update.at);
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
      // A server's refusal carries its protocol error (`{ code, message, retryAfterMs }`) as `data`.
      error.code = error.data?.code;
      reject(error);
    });
    socket.once('connect', () => {
      if (subscribe) subscribeOne(socket, jobId).then(resolve, reject);
      else resolve(socket);
    });
  });
}

serveRequests({
  /**
   * Opens `count` more connections, at most `concurrency` handshakes in flight, each subscribed to
   * `${jobPrefix}${i % jobModulo}`; with `subscribe: false` only connected, to be subscribed by `subscribePending`.
   */
  async open({ url, count, concurrency, jobPrefix, jobModulo, subscribe = true }) {
    const startedAt = now();
    let next = 0;
    let opened = 0;
    let failed = 0;
    let firstError;
    const failuresByCode = {};
    async function worker() {
      while (next < count) {
        const index = next++;
        const jobId = `${jobPrefix}${index % jobModulo}`;
        try {
          const socket = await openOne(url, jobId, subscribe);
          sockets.push(socket);
          if (!subscribe) unsubscribed.push({ socket, jobId });
          opened += 1;
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          const code = error?.code ?? 'none';
          failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { opened, failed, firstError, failuresByCode, startedAt, elapsedMs: now() - startedAt };
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
  /** Subscribes every connection `open` left unsubscribed, at most `concurrency` requests in flight. */
  async subscribePending({ concurrency }) {
    const startedAt = now();
    const pending = unsubscribed;
    unsubscribed = [];
    let next = 0;
    let failed = 0;
    let firstError;
    async function worker() {
      while (next < pending.length) {
        const { socket, jobId } = pending[next++];
        try {
          await subscribeOne(socket, jobId);
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
    return { subscribed: pending.length - failed, failed, firstError, startedAt, elapsedMs: now() - startedAt };
  },
  /** Starts recording the delivery latency of every update, from its `data.sentAt` (else the server's `at`) to arrival. */
  recordLatencies() {
    latencies = [];
  },
  /** Stops recording; resolves how many updates were timed and their p50 and p99 latency in milliseconds. */
  latencyPercentiles() {
    const sorted = (latencies ?? []).sort((a, b) => a - b);
    latencies = null;
    const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
    return { samples: sorted.length, p50: at(0.5), p99: at(0.99) };
  },
  /** Closes every connection (a clean client-side disconnect). */
  closeAll() {
    const closed = sockets.length;
    for (const socket of sockets) socket.close();
    sockets = [];
    unsubscribed = [];
    return closed;
  },
});
