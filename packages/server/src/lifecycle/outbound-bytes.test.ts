import { describe, expect, it } from 'vitest';
import type { JobSocket } from './connection-registry';
import { pendingOutboundBytes } from './outbound-bytes';

/** A socket whose Engine.IO internals the test drives: the write buffer Engine.IO appends to and replaces on flush. */
function engineSocket(): { socket: JobSocket; conn: { writeBuffer: Array<{ data?: unknown }>; transport: { socket: { bufferedAmount: number } } } } {
  const conn = { writeBuffer: [] as Array<{ data?: unknown }>, transport: { socket: { bufferedAmount: 0 } } };
  return { socket: { conn } as unknown as JobSocket, conn };
}

describe('pendingOutboundBytes', () => {
  it('adds what was appended since the last call, starts over when the buffer is replaced, and adds the WebSocket backlog', () => {
    const { socket, conn } = engineSocket();
    expect(pendingOutboundBytes(socket)).toBe(0);
    conn.writeBuffer.push({ data: 'x'.repeat(10) }, { data: Buffer.alloc(5) }, { data: { type: 'ping' } });
    expect(pendingOutboundBytes(socket)).toBe(15);
    conn.writeBuffer.push({ data: 'y'.repeat(7) });
    expect(pendingOutboundBytes(socket)).toBe(22);
    conn.transport.socket.bufferedAmount = 100;
    expect(pendingOutboundBytes(socket)).toBe(122);
    // A flush: Engine.IO hands the buffer to the transport and starts a new one.
    conn.writeBuffer = [{ data: 'z' }];
    expect(pendingOutboundBytes(socket)).toBe(101);
  });

  it('stops counting past stopAbove and counts the rest on a later call', () => {
    const { socket, conn } = engineSocket();
    for (let i = 0; i < 10; i += 1) conn.writeBuffer.push({ data: 'x'.repeat(10) });
    expect(pendingOutboundBytes(socket, 25)).toBe(30);
    expect(pendingOutboundBytes(socket)).toBe(100);
  });
});
