import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { trackTeardown } from './leak-check';

/** A TCP proxy on 127.0.0.1 standing for a network link that can stall (stop carrying the server's bytes) or be cut. */
export interface PausableProxy {
  /** The proxy's port: connect here instead of to the target (a Redis URL, say). */
  readonly port: number;
  /** `http://127.0.0.1:<proxy port>`: connect clients here instead of to the server. */
  readonly url: string;
  /** Stops reading from the server: its writes pile up in the kernel, then in Engine.IO, as for a reader on a slow link. */
  pauseDownstream(): void;
  /** Reads from the server again. */
  resumeDownstream(): void;
  /** Cuts the link, as a network partition would: every connection through it closes, new ones close at once, until `reconnect`. */
  cut(): void;
  /** Carries new connections again after `cut`. */
  reconnect(): void;
}

/** Starts a proxy to `targetPort`; closed (with every connection through it) by the leak check after the test. */
export async function startPausableProxy(targetPort: number): Promise<PausableProxy> {
  const upstreams = new Set<Socket>();
  const sockets = new Set<Socket>();
  let paused = false;
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.on('error', () => client.destroy());
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    if (paused) upstream.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trackTeardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pauseDownstream() {
      paused = true;
      for (const upstream of upstreams) upstream.pause();
    },
    resumeDownstream() {
      paused = false;
      for (const upstream of upstreams) upstream.resume();
    },
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    reconnect() {
      cut = false;
    },
  };
}
