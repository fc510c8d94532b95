import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { createJobServer } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, connectRefused } from './support/test-client';

installLeakCheck();

describe('per-IP connection cap', () => {
  it('accepts exactly the cap-th connection and refuses the next with TOO_MANY_CONNECTIONS', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 3 } });
    const clients = await Promise.all([connectClient(url), connectClient(url), connectClient(url)]);
    expect(server.stats()).toMatchObject({ connections: 3, connectionsByIp: 1 });

    expect(await connectRefused(url)).toEqual({ code: ErrorCode.TOO_MANY_CONNECTIONS, message: 'too many connections from this address' });
    expect(server.stats().connections).toBe(3);

    clients[0]!.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(2));
    await connectClient(url);
    expect(server.stats().connections).toBe(3);
  });

  it('caps at 100 connections per IP by default: the 100th from 127.0.0.1 is accepted, the 101st refused with TOO_MANY_CONNECTIONS', async () => {
    // The default is 1000 only under NODE_ENV=development (a resolveOptions unit test covers that one).
    expect(process.env.NODE_ENV).not.toBe('development');
    const { server, url } = await startJobServer();
    const ips = new Set<string>();
    server.on('connection', ({ ip }) => ips.add(ip));
    for (let batch = 0; batch < 10; batch += 1) await Promise.all(Array.from({ length: 10 }, () => connectClient(url)));
    expect(server.stats()).toMatchObject({ connections: 100, connectionsByIp: 1 });
    expect([...ips]).toEqual(['127.0.0.1']);

    expect(await connectRefused(url)).toEqual({ code: ErrorCode.TOO_MANY_CONNECTIONS, message: 'too many connections from this address' });
    expect(server.stats().connections).toBe(100);
    expect(server.counters().refusedConnectionsByCode).toEqual({ [ErrorCode.TOO_MANY_CONNECTIONS]: 1 });
  });

  it('gives the slot back when the server drops a connection', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 1 } });
    const client = await connectClient(url);
    server.io.sockets.sockets.get(client.socket.id!)!.disconnect(true);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0 }));
    await connectClient(url);
  });

  it('ignores X-Forwarded-For unless trustProxy is set', async () => {
    const untrusting = await startJobServer({ limits: { maxConnectionsPerIp: 1 } });
    await connectClient(untrusting.url, { extraHeaders: { 'x-forwarded-for': '203.0.113.1' } });
    expect(await connectRefused(untrusting.url, { extraHeaders: { 'x-forwarded-for': '203.0.113.2' } })).toMatchObject({
      code: ErrorCode.TOO_MANY_CONNECTIONS,
    });

  });

  it('takes the client IP from the last X-Forwarded-For entry with trustProxy: true, ignoring what the client put in front', async () => {
    const trusting = await startJobServer({ limits: { maxConnectionsPerIp: 1, trustProxy: true } });
    const ips: string[] = [];
    trusting.server.on('connection', ({ ip }) => ips.push(ip));
    await connectClient(trusting.url, { extraHeaders: { 'x-forwarded-for': '203.0.113.1, 10.0.0.1' } });
    await connectClient(trusting.url, { extraHeaders: { 'x-forwarded-for': '203.0.113.2' } });
    expect(await connectRefused(trusting.url, { extraHeaders: { 'x-forwarded-for': '203.0.113.2' } })).toMatchObject({
      code: ErrorCode.TOO_MANY_CONNECTIONS,
    });
    expect(ips).toEqual(['10.0.0.1', '203.0.113.2']);
    expect(trusting.server.stats()).toMatchObject({ connections: 2, connectionsByIp: 2 });
  });

  it('counts connections with different spoofed leftmost entries and the same real last hop against one IP', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 1, trustProxy: true } });
    await connectClient(url, { extraHeaders: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
    expect(await connectRefused(url, { extraHeaders: { 'x-forwarded-for': '198.51.100.2, 203.0.113.7' } })).toMatchObject({
      code: ErrorCode.TOO_MANY_CONNECTIONS,
    });
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1 });
  });

  it('takes the entry that many hops from the right with trustProxy: <hops>, and the socket address when the list is shorter', async () => {
    const { server, url } = await startJobServer({ limits: { trustProxy: 2 } });
    const ips: string[] = [];
    server.on('connection', ({ ip }) => ips.push(ip));
    await connectClient(url, { extraHeaders: { 'x-forwarded-for': '198.51.100.9, 203.0.113.5, 10.0.0.2' } });
    await connectClient(url, { extraHeaders: { 'x-forwarded-for': '10.0.0.2' } });
    await connectClient(url, { extraHeaders: { 'x-forwarded-for': ' , 10.0.0.2' } });
    expect(ips).toEqual(['203.0.113.5', '127.0.0.1', '127.0.0.1']);
  });

  it('refuses a trustProxy that is not a boolean or a hop count, naming the option', () => {
    for (const trustProxy of [-1, 1.5, 'yes']) {
      expect(() => createJobServer({ limits: { trustProxy: trustProxy as number } })).toThrow(
        expect.objectContaining({ name: 'JobServerOptionsError', option: 'limits.trustProxy' }),
      );
    }
  });
});
