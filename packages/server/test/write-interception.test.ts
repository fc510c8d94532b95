import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, recordUpdates, subscribe } from './support/test-client';

installLeakCheck();

const BURST = 50;

/** A bare Socket.IO server of the application, in the same process as the job server. */
async function startBareSocketIo(): Promise<{ io: Server; url: string }> {
  const httpServer = createServer();
  const io = new Server(httpServer);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
}

const bareServers: Server[] = [];
afterEach(async () => {
  await Promise.all(bareServers.splice(0).map((io) => io.close()));
});

/** The one server-side writer (`socket.client`) of a Socket.IO server with one connection. */
function onlyWriter(io: Pick<Server, 'sockets'>): object {
  const [socket] = [...io.sockets.sockets.values()];
  if (!socket) throw new Error('no connection');
  return socket.client;
}

describe("a job server's write interception", () => {
  it('conflates only its own connections, leaves a bare Socket.IO server in the process alone, and is gone after close', async () => {
    const bare = await startBareSocketIo();
    bareServers.push(bare.io);
    const bareClient = await connectClient(bare.url);
    const bareUpdates = recordUpdates(bareClient);
    const bareWriter = onlyWriter(bare.io);
    const writerPrototype = Object.getPrototypeOf(bareWriter) as { writeToEngine: unknown };
    const socketIoWrite = writerPrototype.writeToEngine;

    // Everything written while anything is pending is conflated.
    const { server, url, close } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, limits: { outbound: { conflateAboveBytes: 0 } } });
    const client = await connectClient(url);
    const updates = recordUpdates(client);
    await subscribe(client, { jobId: 'burst' });
    const ourWriter = onlyWriter(server.io);
    expect(Object.getPrototypeOf(ourWriter)).toBe(writerPrototype);
    expect(writerPrototype.writeToEngine).not.toBe(socketIoWrite);
    // Nothing per connection: both writers use the prototype's method.
    expect(Object.hasOwn(ourWriter, 'writeToEngine')).toBe(false);
    expect(Object.hasOwn(bareWriter, 'writeToEngine')).toBe(false);

    // Both bursts are written in one turn of the event loop, so both transports fall behind alike.
    const published = Array.from({ length: BURST }, (_, i) => server.update('burst', { status: 'running', progress: i }));
    for (let seq = 1; seq <= BURST; seq += 1) bare.io.emit('job-update', { jobId: 'burst', epoch: 'bare', seq, status: 'running', at: 0 });
    await Promise.all(published);
    const terminal = await server.update('burst', { status: 'completed', progress: 100 });

    await vi.waitFor(() => expect(bareUpdates).toHaveLength(BURST));
    expect(bareUpdates.map((update) => update.seq)).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));
    await vi.waitFor(() => expect(updates.at(-1)?.seq).toBe(terminal.seq));
    expect(server.counters().conflatedUpdates).toBeGreaterThan(0);
    expect(updates.length).toBeLessThan(BURST + 1);
    expect(server.stats().pendingConflations).toBe(0);

    await close();
    expect(writerPrototype.writeToEngine).toBe(socketIoWrite);
    bare.io.emit('job-update', { jobId: 'burst', epoch: 'bare', seq: BURST + 1, status: 'completed', at: 0 });
    await vi.waitFor(() => expect(bareUpdates).toHaveLength(BURST + 1));
  });

  it('lets through a job-update payload that is not an update (null, no jobId) sent on its io, and goes on taking real ones', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const client = await connectClient(url);
    const received: unknown[] = [];
    client.socket.on('job-update', (update) => received.push(update));
    await subscribe(client, { jobId: 'job-1' });
    const room = server.io.to('job:job-1') as unknown as { emit(event: string, payload: unknown): boolean };
    expect(() => room.emit('job-update', null)).not.toThrow();
    expect(() => room.emit('job-update', { seq: 1 })).not.toThrow();
    const update = await server.update('job-1', { status: 'completed' });
    await vi.waitFor(() => expect(received).toEqual([null, { seq: 1 }, update]));
  });
});
