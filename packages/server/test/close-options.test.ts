import { describe, expect, it, vi } from 'vitest';
import { closeOnSignals, createJobServer } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackServers } from './support/leak-check';
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

  it('rejects a listen() that close() overtook before the port was bound, instead of leaving it pending, and binds nothing', async () => {
    const server = createJobServer();
    trackServers(server);
    const listening = server.listen({ port: 0, host: '127.0.0.1' });
    await server.close({ timeoutMs: 0 });
    await expect(listening).rejects.toThrow('listen() interrupted: the job server was closed before its port was bound');
    expect(server.io.httpServer.listening).toBe(false);
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

  it('logs a failed close() with the given logger by default, and writes nothing to the console', async () => {
    const failure = new Error('store would not close');
    const error = vi.fn();
    const consoleError = vi.spyOn(console, 'error');
    const closed = new Promise<NodeJS.Signals>((resolve) => {
      closeOnSignals({ close: () => Promise.reject(failure) }, { signals: ['SIGUSR2'], logger: { info: vi.fn(), warn: vi.fn(), error }, onClosed: resolve });
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await closed;
    expect(error).toHaveBeenCalledWith({ err: failure, signal: 'SIGUSR2' }, 'job server: close on signal failed');
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });

  it('logs an onClosed or onCloseError that throws instead of leaving an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    const error = vi.fn();
    const logger = { info: vi.fn(), warn: vi.fn(), error };
    const throwing = (): never => {
      throw new Error('callback broke');
    };
    closeOnSignals({ close: () => Promise.resolve() }, { signals: ['SIGUSR2'], logger, onClosed: throwing });
    closeOnSignals({ close: () => Promise.reject(new Error('close failed')) }, { signals: ['SIGUSR2'], logger, onCloseError: throwing, onClosed: throwing });
    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(3));
    // Node reports an unhandled rejection once the microtasks after it ran: one turn of the event loop later.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', unhandled);
    expect(error.mock.calls.map(([, message]) => message).sort()).toEqual([
      'job server: onCloseError threw',
      'job server: onClosed threw',
      'job server: onClosed threw',
    ]);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
