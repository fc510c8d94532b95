import { createRequire } from 'node:module';
import {
  EventName,
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type JobUpdate,
  type ProtocolError,
  type ServerToClientEvents,
  type SubscribeJobOk,
  type TimeoutNotice,
} from '@org/ws-protocol';
import { MissingDependencyError, type AnyJobServer } from '@org/ws-server';
import type { Socket } from 'socket.io-client';
import { TestClientError, TestKitOptionError } from './errors';
import { serverUrl } from './server-url';
import { waitUntil } from './wait-until';
import { wholeNumber } from './whole-number';

/** Options of `openSubscribedClients`. */
export interface OpenSubscribedClientsOptions {
  /** How many clients to open. */
  count: number;
  /** The job each client subscribes to; with several, client `i` takes `jobIds[i % jobIds.length]`. @default 'test-job' */
  jobId?: string | readonly string[] | undefined;
  /** Handshake `auth.token`, for a server with an `authenticate` hook. */
  token?: string | undefined;
  /** Extra handshake headers (e.g. a cookie or `X-Forwarded-For`). */
  extraHeaders?: Record<string, string> | undefined;
  /** Handshakes in flight at once. @default 10 */
  concurrency?: number | undefined;
  /** How long one client may take to connect and subscribe. @default 5000 */
  timeoutMs?: number | undefined;
}

/** One real Socket.IO client that speaks the protocol (answers heartbeats and notices) and subscribed to a job. */
export interface SubscribedClient {
  /** The job it subscribed to. */
  readonly jobId: string;
  /** The `subscribe-job` reply. */
  readonly subscribed: SubscribeJobOk;
  /** `job-update`s received since it subscribed, oldest first. */
  readonly updates: readonly JobUpdate[];
  /** `server-timeout-notice`s received (each acknowledged). */
  readonly notices: readonly TimeoutNotice[];
  /** Whether its connection is open. */
  readonly connected: boolean;
  /** Disconnects it, as a client closing cleanly does. */
  close(): void;
}

/** Clients opened by `openSubscribedClients`; `await using` closes them. */
export interface SubscribedClients {
  /** Every client, in the order of their job assignment. */
  readonly clients: readonly SubscribedClient[];
  /**
   * Resolves once every client received at least `count` `job-update`s.
   * @throws TestClientError saying how many did when `timeoutMs` (default 5000) passed first.
   */
  waitForUpdates(count: number, options?: { timeoutMs?: number | undefined }): Promise<void>;
  /** Disconnects every client (the server then releases them; `expectNoLeaks` waits for that). */
  close(): void;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

type ProtocolSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type ConnectOptions = { timeoutMs: number } & Pick<OpenSubscribedClientsOptions, 'token' | 'extraHeaders'>;

// Loaded on first use with require, not import(): socket.io-client is an optional peer, and Jest runs CommonJS test
// code without support for import(). Not ../optional-dependency's requireOptional, which bundled into this entry
// would throw its own copy of MissingDependencyError in the CommonJS build.
const requireFromHere = createRequire(import.meta.url);

function loadSocketIoClient(): typeof import('socket.io-client') {
  try {
    return requireFromHere('socket.io-client') as typeof import('socket.io-client');
  } catch (error) {
    throw new MissingDependencyError('socket.io-client', 'openSubscribedClients', { cause: error });
  }
}

/** Connects one client and subscribes it; rejects with `TestClientError` (the client closed) when either fails. */
async function openOne(connect: typeof import('socket.io-client').io, url: string, jobId: string, options: ConnectOptions, sockets: ProtocolSocket[]): Promise<SubscribedClient> {
  const socket: ProtocolSocket = connect(url, {
    forceNew: true,
    reconnection: false,
    transports: ['websocket'],
    timeout: options.timeoutMs,
    auth: { protocolVersion: PROTOCOL_VERSION, ...(options.token === undefined ? {} : { token: options.token }) },
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  });
  sockets.push(socket);
  const updates: JobUpdate[] = [];
  const notices: TimeoutNotice[] = [];
  socket.on(EventName.Heartbeat, (probe, ack) => ack?.({ ts: probe.ts }));
  socket.on(EventName.ServerTimeoutNotice, (notice, ack) => {
    notices.push(notice);
    ack({ reason: notice.reason });
  });
  socket.on(EventName.JobUpdate, (update) => updates.push(update));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (error: Error & { data?: ProtocolError }) => {
      socket.close();
      reject(new TestClientError(`could not connect to ${url}: ${error.data ? `${error.data.code} ${error.data.message}` : error.message}`, error.data?.code, { cause: error }));
    });
  });
  let reply;
  try {
    reply = await socket.timeout(options.timeoutMs).emitWithAck(EventName.SubscribeJob, { jobId });
  } catch (error) {
    socket.close();
    throw new TestClientError(`subscribe-job ${jobId} got no reply within ${options.timeoutMs} ms`, undefined, { cause: error });
  }
  if (!reply.ok) {
    socket.close();
    throw new TestClientError(`subscribe-job ${jobId} refused: ${reply.error.code} ${reply.error.message}`, reply.error.code);
  }
  return {
    jobId,
    subscribed: reply,
    updates,
    notices,
    get connected() {
      return socket.connected;
    },
    close: () => socket.close(),
  };
}

/**
 * Opens `count` real clients (socket.io-client, an optional peer dependency) to `target`, each connected and
 * subscribed to its job once this resolves. `target` is a URL, a test server, or any listening `JobServer` (reached
 * at its HTTP server's address, as `runLeakChurn` does).
 * @throws TestClientError (after closing every client it opened) when one could not connect or subscribe.
 * @throws MissingDependencyError when socket.io-client is not installed.
 * @example
 * await using clients = await openSubscribedClients(server, { count: 20, jobId: ['a', 'b'] });
 * await server.update('a', { status: 'completed' });
 */
export async function openSubscribedClients(target: string | { url: string } | AnyJobServer, options: OpenSubscribedClientsOptions): Promise<SubscribedClients> {
  const count = wholeNumber('count', options.count, 1);
  const concurrency = wholeNumber('concurrency', options.concurrency ?? 10, 1);
  const connectOptions = { timeoutMs: wholeNumber('timeoutMs', options.timeoutMs ?? 5000, 1), token: options.token, extraHeaders: options.extraHeaders };
  const jobIds = typeof options.jobId === 'string' ? [options.jobId] : (options.jobId ?? ['test-job']);
  if (jobIds.length === 0) throw new TestKitOptionError('jobId', 'must name at least one job');
  const url = typeof target === 'string' ? target : 'url' in target ? target.url : serverUrl(target);
  const { io: connect } = loadSocketIoClient();

  const sockets: ProtocolSocket[] = [];
  const clients: SubscribedClient[] = new Array(count);
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      try {
        clients[index] = await openOne(connect, url, jobIds[index % jobIds.length]!, connectOptions, sockets);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const closeAll = (): void => {
    for (const socket of sockets) socket.close();
  };
  if (failure !== undefined) {
    closeAll();
    throw failure;
  }

  return {
    clients,
    async waitForUpdates(updates, waitOptions = {}) {
      const timeoutMs = wholeNumber('timeoutMs', waitOptions.timeoutMs ?? 5000, 0);
      const behind = (): number => clients.filter((client) => client.updates.length < updates).length;
      if (!(await waitUntil(() => behind() === 0, timeoutMs))) {
        throw new TestClientError(`${behind()} of ${clients.length} clients had fewer than ${updates} job updates after ${timeoutMs} ms`);
      }
    },
    close: closeAll,
    [Symbol.asyncDispose]: async () => closeAll(),
  };
}
