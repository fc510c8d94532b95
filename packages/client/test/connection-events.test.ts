import { MAX_TOKEN_LENGTH } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';

installLeakCheck();

describe('connection events', () => {
  it('emits connecting, connected, reconnecting and disconnected (idle, gave-up, closed) in order', async () => {
    let time = Date.now();
    const resource = await startJobServer({ now: () => time, session: { idleTimeoutMs: 1000 } });
    let calls = 0;
    // The third handshake carries a token the server refuses as INVALID_PAYLOAD, which the client gives up on.
    const auth = (): string => (++calls === 3 ? 'x'.repeat(MAX_TOKEN_LENGTH + 1) : 'token');
    const { client, until } = openClient({ url: resource.url, autoConnect: false, auth });
    const events: string[] = [];
    client.on('connecting', (state) => events.push(`connecting ${state.attempt}`));
    client.on('connected', () => events.push('connected'));
    client.on('reconnecting', (state) => events.push(`reconnecting ${state.reason}`));
    client.on('disconnected', (state) => events.push(`disconnected ${state.reason}${state.error ? ` ${state.error.code}` : ''}`));

    client.connect();
    await until(isConnected);
    for (const socket of resource.server.io.sockets.sockets.values()) socket.conn.close();
    await vi.waitFor(() => expect(events).toContain('reconnecting connection-lost'));
    await until(isConnected);

    time += 5000;
    await resource.server.maintenance.disconnectInactive();
    await until((state) => state.status === 'disconnected');
    client.connect();
    await until((state) => state.status === 'disconnected' && state.reason === 'gave-up');
    client.connect();
    await until(isConnected);
    await client.close();

    expect(events).toEqual([
      'connecting 0',
      'connected',
      'reconnecting connection-lost',
      'connecting 1',
      'connected',
      'disconnected idle',
      'connecting 0',
      'disconnected gave-up INVALID_PAYLOAD',
      'connecting 0',
      'connected',
      'disconnected closed',
    ]);
  });
});
