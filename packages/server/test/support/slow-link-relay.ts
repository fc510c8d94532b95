import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP relay in front of a server whose server-to-client direction reads only when told: a reader slow but alive. */
export interface SlowLinkRelay {
  /** The URL clients connect to instead of the server's. */
  readonly url: string;
  /** Stops reading what the server sends (its socket buffers fill, then the server's own queue grows). */
  stall(): void;
  /** Reads at least `bytes` more of what the server sends, passes them on, then stalls again. */
  readSome(bytes: number): Promise<void>;
  /** Ends every relayed connection and the relay itself. */
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 (an ephemeral port) to the server at `port`; every relayed connection flows until `stall`. */
export async function startSlowLinkRelay(port: number): Promise<SlowLinkRelay> {
  const upstreams = new Set<Socket>();
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    upstreams.add(upstream);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => {
        sockets.delete(socket);
        upstreams.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    stall() {
      for (const upstream of upstreams) upstream.pause();
    },
    async readSome(bytes) {
      await Promise.all(
        [...upstreams].map(
          (upstream) =>
            new Promise<void>((resolve) => {
              let read = 0;
              const count = (chunk: Buffer): void => {
                read += chunk.length;
                if (read < bytes) return;
                upstream.pause();
                upstream.off('data', count);
                resolve();
              };
              upstream.on('data', count);
              upstream.resume();
            }),
        ),
      );
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
