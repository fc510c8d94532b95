import { describe, expect, it } from 'vitest';
import { isConnected, openClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startRawServer } from './support/misbehaving-server';

installLeakCheck();

describe('connectTimeoutMs bounds a whole connection attempt', () => {
  it('an auth function that never settles fails the attempt with TIMEOUT, and the next attempt asks auth again', async () => {
    const resource = await startJobServer();
    let calls = 0;
    // The first call hangs (a token fetch on a dead network), the next one answers.
    const auth = (): Promise<string> => (++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve('token'));
    const { states, errors, until } = openClient({ url: resource.url, connectTimeoutMs: 300, auth });

    const failed = await until((state) => state.status === 'reconnecting');
    expect(failed).toMatchObject({ attempt: 1, reason: 'connect-failed', error: { code: 'TIMEOUT', message: expect.stringContaining('connectTimeoutMs') } });
    expect(failed.status === 'reconnecting' && failed.delayMs).toBeGreaterThanOrEqual(20);
    await until(isConnected);
    expect(calls).toBe(2);
    expect(errors.map((error) => error.code)).toEqual(['TIMEOUT']);
    expect(states.map((state) => state.status)).toEqual(['connecting', 'reconnecting', 'connecting', 'connected']);
  });

  it('a server that opens the transport but never answers the Socket.IO CONNECT fails the attempt with TIMEOUT, retried with backoff', async () => {
    const { io, url } = await startRawServer();
    let handshakes = 0;
    io.use((_socket, next) => {
      // The first handshake is never answered; the next one is let in.
      if (++handshakes > 1) next();
    });
    const { states, errors, until } = openClient({ url, connectTimeoutMs: 300 });

    const failed = await until((state) => state.status === 'reconnecting');
    expect(failed).toMatchObject({ attempt: 1, reason: 'connect-failed', error: { code: 'TIMEOUT' } });
    await until(isConnected);
    expect(handshakes).toBe(2);
    expect(errors.map((error) => error.code)).toEqual(['TIMEOUT']);
    expect(states.map((state) => state.status)).toEqual(['connecting', 'reconnecting', 'connecting', 'connected']);
  });
});
