import { EventEmitter } from 'node:events';
import { PROTOCOL_VERSION, type Heartbeat } from '@org/ws-protocol';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { openRawEngineAccepted } from './support/raw-engine-client';

installLeakCheck();

const timing = { intervalMs: 4000, timeoutMs: 2000 };

/** A Socket.IO parser that writes each packet whole as JSON: as one string, or (`binary`) as one buffer. */
function wholePacketParser(binary: boolean) {
  class Encoder {
    encode(packet: unknown): unknown[] {
      const text = JSON.stringify(packet);
      return [binary ? Buffer.from(text) : text];
    }
  }
  class Decoder extends EventEmitter {
    add(chunk: string | ArrayBuffer | Buffer): void {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as ArrayBuffer).toString();
      this.emit('decoded', JSON.parse(text));
    }
    destroy(): void {
      this.removeAllListeners();
    }
  }
  return { Encoder, Decoder };
}

/** Connects a socket.io-client with `parser`; resolves it with the first heartbeat it received. */
async function welcomedWith(url: string, parser: unknown): Promise<{ socket: Socket; welcome: Heartbeat }> {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { protocolVersion: PROTOCOL_VERSION }, parser } as never);
  const welcome = await new Promise<Heartbeat>((resolve, reject) => {
    socket.once('heartbeat', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, welcome };
}

describe('the welcome heartbeat, encoded once per server', () => {
  it("writes exactly what Socket.IO's own emit would, with the server's clock as ts", async () => {
    const { server, url } = await startJobServer({ heartbeat: timing });
    const connection = await openRawEngineAccepted(url);
    const before = Date.now();
    connection.send(`40${JSON.stringify({ protocolVersion: PROTOCOL_VERSION })}`);
    const message = await connection.nextMessage((text) => text.startsWith('42'));
    const [event, payload] = JSON.parse(message.slice(2)) as [string, Heartbeat];
    expect(event).toBe('heartbeat');
    expect(payload).toEqual({ ts: expect.any(Number) as number, ...timing });
    expect(payload.ts).toBeGreaterThanOrEqual(before);
    expect(payload.ts).toBeLessThanOrEqual(Date.now());
    // Engine.IO's message type, then the server's own encoding of the same event.
    expect(message).toBe(`4${server.io.encoder.encode({ type: 2, nsp: '/', data: ['heartbeat', payload] })[0] as string}`);
    connection.close();
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
  });

  it.each([
    ['a parser that writes strings gets the encoding learnt from it, not seen by onAnyOutgoing', false, []],
    ['a binary parser gets socket.emit', true, ['heartbeat']],
  ])('%s', async (_name, binary, seenOutgoing) => {
    const parser = wholePacketParser(binary);
    const { server, url } = await startJobServer({ heartbeat: timing, socketIoOptions: { parser } });
    const outgoing: string[] = [];
    // After the job server's own middleware: the listener is in place before the `connection` handlers run.
    server.io.use((socket, next) => {
      socket.onAnyOutgoing((event: string) => outgoing.push(event));
      next();
    });
    const before = Date.now();
    const { socket, welcome } = await welcomedWith(url, parser);
    expect(welcome).toEqual({ ts: expect.any(Number) as number, ...timing });
    expect(welcome.ts).toBeGreaterThanOrEqual(before);
    expect(outgoing).toEqual(seenOutgoing);
    socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
  });
});
