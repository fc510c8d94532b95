import type { JobIoServer } from '../job-server-api';
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

/** The part of Engine.IO's long-polling transport that holds a graceful close until the next poll; private in its types. */
interface PollingTransport {
  /** Set while the close waits for a poll to say so: ends the close at once (and clears its 30 s timer). */
  shouldClose?: (() => void) | null;
}

/**
 * Ends at once every connection of a closed Engine.IO server that is still closing. A long-polling transport closed
 * gracefully (after the `DISCONNECT` went out in the poll that was waiting) waits for one more poll to carry its close,
 * for up to 30 s with a timer of its own; once the server stopped, that poll never comes. Engine.IO's own `close()`
 * cannot end it: a transport starts closing only once.
 */
export function endClosingConnections(engine: JobIoServer['engine']): void {
  // Engine.IO keeps its connections by id in `clients`, which is protected in its types.
  const { clients } = engine as unknown as { readonly clients: Readonly<Record<string, EngineConnection>> };
  for (const connection of Object.values(clients)) {
    const transport = connection.transport as unknown as PollingTransport;
    if (typeof transport.shouldClose === 'function') transport.shouldClose();
  }
}
