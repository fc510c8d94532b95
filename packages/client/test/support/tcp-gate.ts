import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { trackTeardown } from './leak-check';

/**
 * A TCP forwarder on 127.0.0.1 in front of a service, which a test can shut as a network partition would: the
 * processes behind it lose the service, while others reach it directly.
 */
export interface TcpGate {
  /** The port to connect to instead of the service's. */
  readonly port: number;
  /** Cuts every forwarded connection and drops new ones at once, until `open`. */
  shut(): void;
  /** Forwards new connections again. */
  open(): void;
}

/** Starts a gate forwarding to `127.0.0.1:targetPort`, open; the leak check closes it after the servers. */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  let shut = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A cut connection's peer may still be writing; its error is the point, not a failure.
    socket.on('error', () => undefined);
  };
  const server = createServer((inbound) => {
    track(inbound);
    if (shut) {
      inbound.destroy();
      return;
    }
    const outbound = connect(targetPort, '127.0.0.1');
    track(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.once('close', () => outbound.destroy());
    outbound.once('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trackTeardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    shut() {
      shut = true;
      for (const socket of sockets) socket.destroy();
    },
    open() {
      shut = false;
    },
  };
}
