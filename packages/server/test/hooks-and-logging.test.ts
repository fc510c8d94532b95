import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import { describe, expect, it, vi, type MockInstance } from 'vitest';
import { closeOnSignals, type JobServerLogger } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, connectRefused, subscribe } from './support/test-client';

installLeakCheck();

/** Spies on every way a library could print: the console methods and the process' own streams. */
function spyOnOutput(): MockInstance[] {
  const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  return [...consoleMethods.map((method) => vi.spyOn(console, method)), vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
}

describe('logging and lifecycle events', () => {
  it('logs with pino call shape (object first, then message)', async () => {
    const lines: Array<[Record<string, unknown>, string]> = [];
    const log = (context: Record<string, unknown>, message: string) => lines.push([context, message]);
    const logger: JobServerLogger = { debug: log, info: log, warn: log, error: log };
    const { server, url } = await startJobServer({ logger, limits: { maxConnectionsPerIp: 1 } });
    await connectClient(url);
    await server.close({ timeoutMs: 500 });
    expect(lines.length).toBeGreaterThan(0);
    for (const [context, message] of lines) {
      expect(typeof context).toBe('object');
      expect(typeof message).toBe('string');
    }
    // The debug lines of every connection are built only for a logger with a debug method; this one has one.
    expect(lines.map(([, message]) => message)).toEqual(expect.arrayContaining(['job server: connection accepted', 'job server: connection closed', 'job server: closed']));
  });

  it('writes nothing anywhere without a logger option: connection, subscribe, update, refusal, failure and close', async () => {
    const { server, url } = await startJobServer();
    const spies = spyOnOutput();
    try {
      server.on('subscribe', () => {
        throw new Error('listener broke');
      });
      const client = await connectClient(url);
      expect(await subscribe(client, { jobId: 'quiet' })).toMatchObject({ ok: true });
      await server.update('quiet', { status: 'running', progress: 50 });
      expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION + 1 } })).toMatchObject({ code: ErrorCode.UNSUPPORTED_PROTOCOL });
      await server.close({ timeoutMs: 500 });
      // Every path that logs when a logger is given was taken: accepted, refused, failed, notice sent, closed.
      expect(server.counters()).toMatchObject({ refusedConnections: 1, internalErrors: 1, noticesSent: 1 });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('keeps working when the logger and event listeners throw', async () => {
    const explode = () => {
      throw new Error('logger broke');
    };
    const { server, url } = await startJobServer({ logger: { debug: explode, info: explode, warn: explode, error: explode } });
    server.on('connection', () => {
      throw new Error('listener broke');
    });
    server.on('subscribe', () => {
      throw new Error('listener broke');
    });
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'robust' })).toMatchObject({ ok: true });
    expect(server.counters().internalErrors).toBe(2);
    client.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
  });

  it('reports connection, subscribe, unsubscribe, notice and disconnect events, and stops after unsubscribe', async () => {
    const { server, url } = await startJobServer();
    const seen: string[] = [];
    const off = server.on('connection', () => seen.push('connection'));
    server.on('subscribe', ({ jobId }) => seen.push(`subscribe:${jobId}`));
    server.on('unsubscribe', ({ jobId, reason }) => seen.push(`unsubscribe:${jobId}:${reason}`));
    server.on('notice', ({ notice }) => seen.push(`notice:${notice.reason}`));
    server.on('disconnect', ({ reason }) => seen.push(`disconnect:${reason}`));
    const client = await connectClient(url);
    await subscribe(client, { jobId: 'ev' });
    await client.socket.emitWithAck('unsubscribe-job', { jobId: 'ev' });
    off();
    await connectClient(url);
    await server.close({ timeoutMs: 500 });
    expect(seen).toEqual(['connection', 'subscribe:ev', 'unsubscribe:ev:request', 'notice:shutdown', 'notice:shutdown', 'disconnect:shutdown', 'disconnect:shutdown']);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('closes gracefully on %s through closeOnSignals with its default signals', async (signal) => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const listenersBefore = { SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') };
    const closed = new Promise<NodeJS.Signals>((resolve) => {
      closeOnSignals(server, { timeoutMs: 500, onClosed: resolve });
    });
    expect(process.listenerCount(signal)).toBe(listenersBefore[signal] + 1);
    process.emit(signal, signal);
    expect(await closed).toBe(signal);
    expect(client.notices.map((notice) => notice.reason)).toEqual(['shutdown']);
    expect(server.stats()).toEqual(ZERO_STATS);
    // Both handlers are gone, not only the one that fired.
    expect({ SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') }).toEqual(listenersBefore);
  });
});
