import { MAX_CLIENT_PACKET_BYTES } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { JobServerOptionsError } from './errors';
import { DEVELOPMENT_MAX_CONNECTIONS_PER_IP, JOB_SERVER_DEFAULTS, resolveOptions } from './options';

function optionError(options: unknown): JobServerOptionsError {
  try {
    resolveOptions(options, 'test');
  } catch (error) {
    if (error instanceof JobServerOptionsError) return error;
    throw error;
  }
  throw new Error('resolveOptions accepted invalid options');
}

describe('resolveOptions', () => {
  it('applies the SPEC §2 defaults', () => {
    const resolved = resolveOptions({}, 'production');
    expect(resolved.heartbeat).toEqual({ intervalMs: 30_000, timeoutMs: 10_000 });
    expect(resolved.session).toEqual({ idleTimeoutMs: 2 * 3_600_000, maxInactivityMs: 24 * 3_600_000, noticeGraceMs: 5_000 });
    expect(resolved.sweep).toEqual({ intervalMs: 300_000, staleJobMs: 3_600_000, finishedJobRetentionMs: 300_000 });
    expect(resolved.limits).toEqual({ ...JOB_SERVER_DEFAULTS.limits, trustProxy: 0 });
    expect(resolved.shutdown.timeoutMs).toBe(30_000);
  });

  it('treats every option given as undefined as not given, nested ones included', () => {
    const everyOptionUndefined = {
      httpServer: undefined,
      io: undefined,
      socketIoOptions: { path: undefined, pingTimeout: undefined, cors: undefined },
      heartbeat: { intervalMs: undefined, timeoutMs: undefined },
      session: { idleTimeoutMs: undefined, maxInactivityMs: undefined, noticeGraceMs: undefined },
      sweep: { intervalMs: undefined, staleJobMs: undefined, finishedJobRetentionMs: undefined },
      limits: {
        maxConnectionsPerIp: undefined,
        trustProxy: undefined,
        maxPayloadBytes: undefined,
        handshakeTimeoutMs: undefined,
        rateLimit: { events: undefined, windowMs: undefined, abuseStrikes: undefined },
        outbound: { conflateAboveBytes: undefined, maxPendingBytes: undefined },
        overload: { heapUsedBytes: undefined, retryAfterMs: undefined },
      },
      jobs: { bufferSize: undefined },
      shutdown: { timeoutMs: undefined, retryWindowMs: undefined },
      authenticate: undefined,
      authorizeSubscribe: undefined,
      logger: undefined,
      store: undefined,
      redis: undefined,
      now: undefined,
    };
    const resolved = resolveOptions(everyOptionUndefined, 'production');
    const defaults = resolveOptions({}, 'production');
    expect({ ...resolved, now: undefined }).toEqual({ ...defaults, now: undefined });
    // Socket.IO spreads its options over its own defaults, so an undefined one must not reach it.
    expect(resolved.socketIoOptions).toEqual({});
    expect(resolveOptions({ heartbeat: undefined, limits: undefined, socketIoOptions: undefined }, 'production')).toMatchObject({ heartbeat: defaults.heartbeat, limits: defaults.limits });
    expect(resolveOptions({ redis: { url: 'redis://127.0.0.1:6379', keyPrefix: undefined, nodeTtlMs: undefined } }, 'test').redis).toMatchObject({ keyPrefix: 'ws-jobs:', nodeTtlMs: 30_000 });
  });

  it('allows 1000 connections per IP when NODE_ENV is development', () => {
    expect(resolveOptions({}, 'development').limits.maxConnectionsPerIp).toBe(DEVELOPMENT_MAX_CONNECTIONS_PER_IP);
    expect(resolveOptions({ limits: { maxConnectionsPerIp: 7 } }, 'development').limits.maxConnectionsPerIp).toBe(7);
  });

  it('keeps the given values of a partially filled group', () => {
    const resolved = resolveOptions({ heartbeat: { intervalMs: 1000 } }, 'test');
    expect(resolved.heartbeat).toEqual({ intervalMs: 1000, timeoutMs: 10_000 });
  });

  it('counts trustProxy as proxy hops: true is one, a number is that many', () => {
    expect(resolveOptions({ limits: { trustProxy: true } }, 'test').limits.trustProxy).toBe(1);
    expect(resolveOptions({ limits: { trustProxy: 2 } }, 'test').limits.trustProxy).toBe(2);
    expect(resolveOptions({ limits: { trustProxy: false } }, 'test').limits.trustProxy).toBe(0);
  });

  it.each([
    [{ heartbeat: { intervalMs: 0 } }, 'heartbeat.intervalMs'],
    [{ heartbeat: { intervalMs: '30s' } }, 'heartbeat.intervalMs'],
    [{ session: { idleTimeoutMs: -1 } }, 'session.idleTimeoutMs'],
    [{ limits: { rateLimit: { events: 1.5 } } }, 'limits.rateLimit.events'],
    [{ limits: { trustProxy: 'yes' } }, 'limits.trustProxy'],
    [{ limits: { trustProxy: -1 } }, 'limits.trustProxy'],
    [{ limits: { trustProxy: 1.5 } }, 'limits.trustProxy'],
    [{ heartbeat: { interval: 5 } }, 'heartbeat.interval'],
    [{ authenticate: 'token' }, 'authenticate'],
    [{ logger: { info: () => undefined } }, 'logger'],
    [{ store: {} }, 'store'],
    [{ jobs: { bufferSize: 5000 } }, 'jobs.bufferSize'],
    [{ limits: { outbound: { maxPendingBytes: 0 } } }, 'limits.outbound.maxPendingBytes'],
    [{ limits: { outbound: { conflateAboveBytes: 2048, maxPendingBytes: 1024 } } }, 'limits.outbound.conflateAboveBytes'],
    [{ limits: { maxPayloadBytes: MAX_CLIENT_PACKET_BYTES - 1 } }, 'limits.maxPayloadBytes'],
    [{ limits: { maxPayloadBytes: 1.5e5 + 0.5 } }, 'limits.maxPayloadBytes'],
    [{ socketIoOptions: { maxHttpBufferSize: 1e6 } }, 'socketIoOptions.maxHttpBufferSize'],
    [{ socketIoOptions: { connectTimeout: 45_000 } }, 'socketIoOptions.connectTimeout'],
    [{ socketIoOptions: { allowRequest: 'yes' } }, 'socketIoOptions.allowRequest'],
    [{ socketIoOptions: { path: 5 } }, 'socketIoOptions.path'],
    [{ socketIoOptions: { cors: { origin: '*' } } }, 'socketIoOptions.cors'],
    [{ cors: { origin: 42 } }, 'cors.origin'],
    [{ cors: { origin: true, methods: ['GET'] } }, 'cors.methods'],
    [{ limits: { handshakeTimeoutMs: 0 } }, 'limits.handshakeTimeoutMs'],
  ])('refuses %j naming the option %s', (options, option) => {
    const error = optionError(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}"`);
  });
});
