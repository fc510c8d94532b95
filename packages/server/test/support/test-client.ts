import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type JobUpdate,
  type ProtocolError,
  type ServerToClientEvents,
  type SubscribeJobAck,
  type SubscribeJobRequest,
  type TimeoutNotice,
} from '@org/ws-protocol';
import { io, type Socket } from 'socket.io-client';

/** A raw Socket.IO client speaking the protocol, as a third-party client would. */
export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How a test client behaves. */
export interface TestClientOptions {
  /** Handshake `auth`. @default { protocolVersion: PROTOCOL_VERSION } */
  auth?: Record<string, unknown>;
  /** Answer `heartbeat` probes. @default true */
  answerHeartbeats?: boolean;
  /** Acknowledge `server-timeout-notice`. @default true */
  answerNotices?: boolean;
  /** Extra handshake headers (e.g. X-Forwarded-For). */
  extraHeaders?: Record<string, string>;
  /** Engine.IO transports, in the order tried. @default ['websocket'] */
  transports?: ('websocket' | 'polling')[];
}

/** A client and what it received. */
export interface TestClient {
  readonly socket: TestSocket;
  /** Notices received, in order. */
  readonly notices: TimeoutNotice[];
  /** Whether the socket got disconnected, and why. */
  readonly disconnectReasons: string[];
}

const open: TestSocket[] = [];

/** Creates a client without connecting it; every client is closed by `closeAllClients`. */
export function createTestClient(url: string, options: TestClientOptions = {}): TestClient {
  const socket: TestSocket = io(url, {
    autoConnect: false,
    forceNew: true,
    reconnection: false,
    transports: options.transports ?? ['websocket'],
    auth: options.auth ?? { protocolVersion: PROTOCOL_VERSION },
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  });
  open.push(socket);
  const client: TestClient = { socket, notices: [], disconnectReasons: [] };
  if (options.answerHeartbeats ?? true) socket.on('heartbeat', (probe, ack) => ack?.({ ts: probe.ts }));
  socket.on('server-timeout-notice', (notice, ack) => {
    client.notices.push(notice);
    if (options.answerNotices ?? true) ack({ reason: notice.reason });
  });
  socket.on('disconnect', (reason) => {
    client.disconnectReasons.push(reason);
  });
  return client;
}

/** Connects a client and resolves once the server accepted it. */
export async function connectClient(url: string, options: TestClientOptions = {}): Promise<TestClient> {
  const client = createTestClient(url, options);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (error) => reject(error));
    client.socket.connect();
  });
  return client;
}

/** Connects a client that the server must refuse; resolves the typed error it got. */
export async function connectRefused(url: string, options: TestClientOptions = {}): Promise<ProtocolError> {
  const client = createTestClient(url, options);
  return new Promise((resolve, reject) => {
    client.socket.once('connect', () => reject(new Error('the server accepted a connection it should have refused')));
    client.socket.once('connect_error', (error) => resolve((error as Error & { data: ProtocolError }).data));
    client.socket.connect();
  });
}

/** Sends `subscribe-job` and resolves its ack. */
export function subscribe(client: TestClient, request: SubscribeJobRequest): Promise<SubscribeJobAck> {
  return client.socket.timeout(5000).emitWithAck('subscribe-job', request);
}

/** Collects the job updates a client receives, in order. */
export function recordUpdates(client: TestClient): JobUpdate[] {
  const updates: JobUpdate[] = [];
  client.socket.on('job-update', (update) => updates.push(update));
  return updates;
}

/** The `ws` WebSocket under a client's websocket transport: its `pause`/`resume` stop and restart reading, to build a backlog. */
export function underlyingWebSocket(client: TestClient): { pause(): void; resume(): void } {
  const transport = (client.socket.io.engine as unknown as { transport: { ws?: { pause(): void; resume(): void } } }).transport;
  if (!transport.ws) throw new Error('the test client is not on the websocket transport');
  return transport.ws;
}

/** Disconnects every client created since the last call. */
export function closeAllClients(): void {
  for (const socket of open.splice(0)) socket.disconnect();
}
