import { describe, expect, it, vi } from 'vitest';
import { closeOnSignals, type JobServerLogger } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

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
    expect(lines.map(([, message]) => message)).toContain('job server: closed');
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

  it('closes gracefully on SIGTERM through closeOnSignals', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const closed = new Promise<NodeJS.Signals>((resolve) => {
      closeOnSignals(server, { timeoutMs: 500, onClosed: resolve });
    });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await closed).toBe('SIGTERM');
    expect(client.notices.map((notice) => notice.reason)).toEqual(['shutdown']);
    expect(server.stats()).toEqual(ZERO_STATS);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
