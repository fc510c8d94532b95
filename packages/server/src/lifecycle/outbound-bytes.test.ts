import { describe, expect, it } from 'vitest';
import { pendingOutboundBytes, pendsMoreThan, type EngineConnection } from './outbound-bytes';

/** An Engine.IO socket whose internals the test drives: the write buffer Engine.IO appends to and replaces on flush. */
function engineSocket(): { connection: EngineConnection; conn: { writeBuffer: Array<{ data?: unknown }>; transport: { socket: { bufferedAmount: number } } } } {
  const conn = { writeBuffer: [] as Array<{ data?: unknown }>, transport: { socket: { bufferedAmount: 0 } } };
  return { connection: conn as unknown as EngineConnection, conn };
}

describe('pendingOutboundBytes', () => {
  it('adds what was appended since the last call, starts over when the buffer is replaced, and adds the WebSocket backlog', () => {
    const { connection, conn } = engineSocket();
    expect(pendingOutboundBytes(connection)).toBe(0);
    conn.writeBuffer.push({ data: 'x'.repeat(10) }, { data: Buffer.alloc(5) }, { data: { type: 'ping' } });
    expect(pendingOutboundBytes(connection)).toBe(15);
    conn.writeBuffer.push({ data: 'y'.repeat(7) });
    expect(pendingOutboundBytes(connection)).toBe(22);
    conn.transport.socket.bufferedAmount = 100;
    expect(pendingOutboundBytes(connection)).toBe(122);
    // A flush: Engine.IO hands the buffer to the transport and starts a new one.
    conn.writeBuffer = [{ data: 'z' }];
    expect(pendingOutboundBytes(connection)).toBe(101);
  });

});

describe('pendsMoreThan', () => {
  it('answers for a growing limit over one unflushed buffer, resuming its count where the last call stopped', () => {
    const { connection, conn } = engineSocket();
    for (let i = 0; i < 10; i += 1) conn.writeBuffer.push({ data: 'x'.repeat(10) });
    expect(pendsMoreThan(connection, 25)).toBe(true);
    expect(pendsMoreThan(connection, 95)).toBe(true);
    expect(pendsMoreThan(connection, 100)).toBe(false);
    expect(pendingOutboundBytes(connection)).toBe(100);
  });

  it('agrees with pendingOutboundBytes while the WebSocket backlog shrinks under an unflushed buffer, and sees a flush', () => {
    const { connection, conn } = engineSocket();
    conn.transport.socket.bufferedAmount = 40;
    expect(pendsMoreThan(connection, 50)).toBe(false);
    conn.writeBuffer.push({ data: 'x'.repeat(10) });
    expect(pendsMoreThan(connection, 50)).toBe(false);
    conn.writeBuffer.push({ data: 'x'.repeat(10) });
    expect(pendsMoreThan(connection, 50)).toBe(true);
    // The kernel took part of the WebSocket's backlog: the bound (40 + 20) is past the limit, so the backlog is read again.
    conn.transport.socket.bufferedAmount = 25;
    expect(pendsMoreThan(connection, 50)).toBe(false);
    expect(pendingOutboundBytes(connection)).toBe(45);
    // A flush hands the buffer to the WebSocket: a new buffer, and the backlog read anew.
    conn.writeBuffer = [{ data: 'y' }];
    conn.transport.socket.bufferedAmount = 70;
    expect(pendsMoreThan(connection, 50)).toBe(true);
    conn.writeBuffer = [];
    conn.transport.socket.bufferedAmount = 0;
    expect(pendsMoreThan(connection, 50)).toBe(false);
  });
});
