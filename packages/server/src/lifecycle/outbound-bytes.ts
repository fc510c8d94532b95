import type { JobSocket } from './connection-registry';

/** The parts of Engine.IO's socket that hold outbound data; they are private in its types. */
interface EngineSocketInternals {
  writeBuffer?: ReadonlyArray<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

/**
 * Bytes queued for a connection and not yet written to the kernel: Engine.IO's write buffer (string packets counted
 * by length) plus what the WebSocket holds in Node's stream. Bytes the kernel accepted are not visible to Node.
 * Stops counting once past `stopAbove`, so that a check against a threshold costs no more than the threshold.
 */
export function pendingOutboundBytes(socket: JobSocket, stopAbove = Number.POSITIVE_INFINITY): number {
  const conn = socket.conn as unknown as EngineSocketInternals;
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    const { data } = packet;
    if (typeof data === 'string') bytes += data.length;
    else if (Buffer.isBuffer(data)) bytes += data.length;
    if (bytes > stopAbove) break;
  }
  return bytes;
}
