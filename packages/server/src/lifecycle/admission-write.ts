import type { Transport } from './transport-admission';

/** The parts of Engine.IO's WebSocket transport that gate its writes; they are private in its types. */
interface GatedTransport {
  readonly name: string;
  /** Engine.IO sends only while this is true, and buffers meanwhile. */
  writable: boolean;
  /** The `ws` WebSocket, over the TCP socket it writes to. */
  readonly socket?: { readonly _socket?: CorkableStream };
  emit(event: 'ready'): boolean;
}

interface CorkableStream {
  cork(): void;
  uncork(): void;
}

/**
 * Lets what a connection is sent as it is admitted leave in one write to its TCP socket: Socket.IO's CONNECT packet
 * and what the `connection` listeners send at once (the welcome heartbeat). Engine.IO would send the first packet at
 * once and the rest after the WebSocket reported it written, one system call each (measured by `pnpm bench`: CPU per
 * handshake). Called as the handshake is admitted: Socket.IO writes the CONNECT and runs the listeners in its next
 * tick, and the writes are released in the tick after, whatever happened in between (a refusal, a closed transport).
 * A long-polling transport already sends what is buffered in one response, and is left alone.
 */
export function sendAdmissionInOneWrite(transport: Transport): void {
  const gated = transport.transport as unknown as GatedTransport;
  const stream = gated.socket?._socket;
  if (gated.name !== 'websocket' || !gated.writable || stream === undefined) return;
  gated.writable = false;
  process.nextTick(release, gated, stream);
}

function release(gated: GatedTransport, stream: CorkableStream): void {
  stream.cork();
  try {
    // What the transport does itself once a write is done: Engine.IO's socket sends everything it buffered meanwhile.
    gated.writable = true;
    gated.emit('ready');
  } finally {
    // Even when a `flush` listener of Engine.IO throws: a socket left corked would never send again.
    stream.uncork();
  }
}
