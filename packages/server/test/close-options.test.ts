import { describe, expect, it, vi } from 'vitest';
import { closeOnSignals } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient } from './support/test-client';

installLeakCheck();

describe('close() options', () => {
  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY, 1.5, 2 ** 31, '500'])(
    'rejects timeoutMs %s with JobServerOptionsError and keeps serving',
    async (timeoutMs) => {
      const { server, url } = await startJobServer();
      await expect(server.close({ timeoutMs: timeoutMs as number })).rejects.toMatchObject({ name: 'JobServerOptionsError', option: 'timeoutMs' });
      expect(server.health().status).toBe('ok');
      await connectClient(url);
      expect(server.stats()).toMatchObject({ connections: 1, timers: 2 });
    },
  );

  it('rejects an unknown close option, naming it', async () => {
    const { server } = await startJobServer();
    await expect(server.close({ timeout: 500 } as { timeoutMs?: number })).rejects.toMatchObject({ name: 'JobServerOptionsError', option: 'timeout' });
  });

  it('still closes with a valid timeoutMs after a refused one', async () => {
    const { server } = await startJobServer();
    await expect(server.close({ timeoutMs: -5 })).rejects.toThrow(/"timeoutMs"/);
    await server.close({ timeoutMs: 500 });
    expect(server.health().status).toBe('shutting-down');
  });

  it('with timeoutMs 0 sends the shutdown notices and disconnects at once, waiting for no ack', async () => {
    const { server, url } = await startJobServer({ shutdown: { timeoutMs: 2 ** 31 - 1 } });
    const client = await connectClient(url, { answerNotices: false });
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    await server.close({ timeoutMs: 0 });
    expect(server.stats()).toMatchObject({ connections: 0, pendingNotices: 0, timers: 0 });
    await disconnected;
    expect(client.notices).toEqual([expect.objectContaining({ reason: 'shutdown', graceMs: 0 })]);
  });
});

describe('closeOnSignals', () => {
  it.each([Number.NaN, -1, 1.5, 2 ** 31])('throws JobServerOptionsError for timeoutMs %s when called, wiring nothing', async (timeoutMs) => {
    const { server } = await startJobServer();
    const before = process.listenerCount('SIGTERM');
    expect(() => closeOnSignals(server, { timeoutMs })).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'timeoutMs' }));
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('reports a close() that fails on the signal, then still calls onClosed', async () => {
    const failure = new Error('store would not close');
    const failing = { close: vi.fn(() => Promise.reject(failure)) };
    const reported: unknown[] = [];
    const closed = new Promise<NodeJS.Signals>((resolve) => {
      closeOnSignals(failing, { signals: ['SIGUSR2'], timeoutMs: 0, onCloseError: (error) => reported.push(error), onClosed: resolve });
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await closed).toBe('SIGUSR2');
    expect(failing.close).toHaveBeenCalledWith({ timeoutMs: 0 });
    expect(reported).toEqual([failure]);
  });
});
