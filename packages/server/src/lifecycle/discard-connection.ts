import type { EngineConnection } from './outbound-bytes';

/** The part of Engine.IO's WebSocket transport that ends its socket at once; private in its types. */
interface TerminableTransport {
  /** The `ws` WebSocket (absent on long-polling). */
  readonly socket?: { terminate?: () => void };
}

/**
 * Closes a connection at once, with what it still had to send: Engine.IO's write buffer (a discarding close) and, on a
 * WebSocket, the backlog in Node's stream. ws closes gracefully, so its close frame would wait behind that backlog,
 * which a stalled reader never takes, and ws would hold it with the socket for its 30 s close timeout.
 */
export function discardConnection(connection: EngineConnection): void {
  const transport = connection.transport as unknown as TerminableTransport;
  connection.close(true);
  transport.socket?.terminate?.();
}
