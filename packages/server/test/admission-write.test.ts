import { PROTOCOL_VERSION, type Heartbeat } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { recordTransportWrites } from './support/tcp-writes';
import { createTestClient, subscribe, type TestClient, type TestClientOptions } from './support/test-client';

installLeakCheck();

/** Connects a client and resolves the welcome heartbeat it got after `connect`. */
async function connectWelcomed(url: string, options: TestClientOptions = {}): Promise<{ client: TestClient; welcome: Heartbeat }> {
  const client = createTestClient(url, options);
  const welcome = new Promise<Heartbeat>((resolve, reject) => {
    client.socket.once('heartbeat', (heartbeat) => (client.socket.connected ? resolve(heartbeat) : reject(new Error('heartbeat before connect'))));
    client.socket.once('connect_error', reject);
  });
  client.socket.connect();
  return { client, welcome: await welcome };
}

describe('the writes that admit a connection', () => {
  it('sends the CONNECT packet and the welcome heartbeat in one write to the TCP socket', async () => {
    const resource = await startJobServer({ heartbeat: { intervalMs: 20_000, timeoutMs: 7_000 } });
    const writes = recordTransportWrites(resource.server);
    const { client, welcome } = await connectWelcomed(resource.url);
    expect(welcome).toMatchObject({ intervalMs: 20_000, timeoutMs: 7_000 });
    const connectWrite = writes.find((chunks) => chunks.some((chunk) => chunk.startsWith('40{"sid"')));
    expect(connectWrite?.filter((chunk) => chunk.startsWith('42["heartbeat"'))).toHaveLength(1);
    // The transport writes as before afterwards.
    expect(await subscribe(client, { jobId: 'job-1' })).toMatchObject({ ok: true });
  });

  it('leaves a long-polling transport alone: its CONNECT and welcome arrive in order', async () => {
    const { url, server } = await startJobServer();
    const { welcome } = await connectWelcomed(url, { transports: ['polling'] });
    expect(welcome.intervalMs).toBeGreaterThan(0);
    expect(server.stats().connections).toBe(1);
  });

  it('admits a connection that an application middleware after ours holds back, and sends its refusal when it refuses', async () => {
    const resource = await startJobServer();
    const writes = recordTransportWrites(resource.server);
    resource.server.io.use((socket, next) => {
      // Past the tick in which the job server's writes are released: nothing may be held for this connection any more.
      setImmediate(() => (socket.handshake.auth.token === 'refuse' ? next(new Error('refused by the application')) : next()));
    });
    const { welcome } = await connectWelcomed(resource.url);
    expect(welcome.timeoutMs).toBeGreaterThan(0);
    expect(writes.some((chunks) => chunks.some((chunk) => chunk.startsWith('40{"sid"')))).toBe(true);

    const refused = createTestClient(resource.url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'refuse' } });
    const error = await new Promise<Error>((resolve) => {
      refused.socket.once('connect_error', resolve);
      refused.socket.connect();
    });
    expect(error.message).toBe('refused by the application');
    await vi.waitFor(() => expect(resource.server.stats()).toMatchObject({ connections: 1 }));
  });

  it('uncorks the TCP socket even when an Engine.IO flush listener throws, so the connection still sends', async () => {
    const resource = await startJobServer();
    const thrown: unknown[] = [];
    // The listener's error is uncaught (it is thrown in a tick of its own): kept here, as an application's handler would.
    process.setUncaughtExceptionCaptureCallback((error) => thrown.push(error));
    // Fails on the flush that carries Socket.IO's CONNECT (the one the job server releases), once.
    let failures = 1;
    resource.server.io.engine.on('flush', (_socket: unknown, packets: { data?: unknown }[]) => {
      const carriesConnect = packets.some(({ data }) => typeof data === 'string' && data.startsWith('0{'));
      if (carriesConnect && failures-- > 0) throw new Error('a flush listener failed');
    });
    try {
      const client = createTestClient(resource.url);
      client.socket.connect();
      await vi.waitFor(() => expect(thrown).toHaveLength(1));
      const [socket] = [...resource.server.io.sockets.sockets.values()];
      const tcp = (socket!.conn as unknown as { transport: { socket: { _socket: { writableCorked: number } } } }).transport.socket._socket;
      expect(tcp.writableCorked).toBe(0);
      // What was buffered when the listener threw (the CONNECT, the welcome) goes out with the next packet written (an
      // event nobody listens to).
      const connected = new Promise<void>((resolve) => client.socket.once('connect', resolve));
      socket!.conn.write('2["x"]');
      await connected;
      expect(await subscribe(client, { jobId: 'job-1' })).toMatchObject({ ok: true });
    } finally {
      process.setUncaughtExceptionCaptureCallback(null);
    }
  });
});
