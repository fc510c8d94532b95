import { describe, expect, it } from 'vitest';
import { JOB_CLIENT_DEFAULTS, resolveJobClientOptions, type JobClientOptions } from './client-options';
import { JobClientError } from './errors';

function refusal(options: JobClientOptions): JobClientError {
  try {
    resolveJobClientOptions(options);
  } catch (error) {
    if (error instanceof JobClientError) return error;
    throw error;
  }
  throw new Error('options were accepted');
}

describe('resolveJobClientOptions', () => {
  it('applies every default from JOB_CLIENT_DEFAULTS', () => {
    const resolved = resolveJobClientOptions({ url: 'http://127.0.0.1:1' });
    expect(resolved).toMatchObject({
      urls: ['http://127.0.0.1:1'],
      auth: undefined,
      reconnect: JOB_CLIENT_DEFAULTS.reconnect,
      heartbeat: JOB_CLIENT_DEFAULTS.heartbeat,
      ackTimeoutMs: JOB_CLIENT_DEFAULTS.ackTimeoutMs,
      connectTimeoutMs: JOB_CLIENT_DEFAULTS.connectTimeoutMs,
      autoConnect: false,
      random: Math.random,
      socketOptions: {},
    });
  });

  it('treats every option given as undefined as not given, nested ones included', () => {
    const resolved = resolveJobClientOptions({
      url: 'http://127.0.0.1:1',
      urls: undefined,
      auth: undefined,
      reconnect: { initialDelayMs: undefined, maxDelayMs: undefined, factor: undefined, minDelayMs: undefined },
      heartbeat: { intervalMs: undefined, graceMs: undefined },
      ackTimeoutMs: undefined,
      connectTimeoutMs: undefined,
      autoConnect: undefined,
      random: undefined,
      socketOptions: { path: undefined, transports: undefined },
    });
    expect(resolved).toEqual(resolveJobClientOptions({ url: 'http://127.0.0.1:1' }));
    expect(resolved.socketOptions).toEqual({});
    expect(resolveJobClientOptions({ url: 'http://127.0.0.1:1', reconnect: undefined, heartbeat: undefined, socketOptions: undefined })).toEqual(resolved);
  });

  it('merges partial groups over the defaults and keeps heartbeat: false', () => {
    const resolved = resolveJobClientOptions({ urls: ['http://a', 'http://b'], reconnect: { factor: 3 }, heartbeat: false });
    expect(resolved.urls).toEqual(['http://a', 'http://b']);
    expect(resolved.reconnect).toEqual({ ...JOB_CLIENT_DEFAULTS.reconnect, factor: 3 });
    expect(resolved.heartbeat).toBe(false);
  });

  it.each([
    [{}, 'give `url` or `urls`'],
    [{ url: 'http://a', urls: ['http://b'] }, 'not both'],
    [{ urls: [] }, 'options.urls'],
    [{ url: 'not a url' }, 'options.url: must not contain white space'],
    [{ url: 'jobs.example.com:3000' }, 'options.url: must be an absolute http(s):// or ws(s):// URL outside a browser'],
    [{ url: '/jobs' }, 'options.url: must be an absolute'],
    [{ url: 'https://jobs.example.com:99999' }, 'options.url: is not a URL socket.io-client can connect to'],
    [{ urls: ['http://a', 'http://b:99999'] }, 'options.urls.1: is not a URL socket.io-client can connect to'],
    [{ url: 'http://a', reconnect: { factor: 0.5 } }, 'options.reconnect.factor'],
    [{ url: 'http://a', reconnect: { initialDelayMs: -1 } }, 'options.reconnect.initialDelayMs'],
    [{ url: 'http://a', reconnect: { minDelayMs: 10, maxDelayMs: 5 } }, 'minDelayMs must not exceed maxDelayMs'],
    [{ url: 'http://a', heartbeat: { intervalMs: 0 } }, 'options.heartbeat'],
    // Beyond setTimeout's longest delay (2^31-1 ms) a timer fires at once.
    [{ url: 'http://a', reconnect: { maxDelayMs: 2 ** 31 } }, 'options.reconnect.maxDelayMs'],
    [{ url: 'http://a', reconnect: { initialDelayMs: 2 ** 31 } }, 'options.reconnect.initialDelayMs'],
    [{ url: 'http://a', reconnect: { minDelayMs: 2 ** 31 } }, 'options.reconnect.minDelayMs'],
    [{ url: 'http://a', heartbeat: { intervalMs: 2 ** 31 } }, 'options.heartbeat.intervalMs'],
    [{ url: 'http://a', heartbeat: { graceMs: 2 ** 31 } }, 'options.heartbeat.graceMs'],
    [{ url: 'http://a', ackTimeoutMs: 2 ** 31 }, 'options.ackTimeoutMs'],
    [{ url: 'http://a', connectTimeoutMs: 2 ** 31 }, 'options.connectTimeoutMs'],
    [{ url: 'http://a', auth: 42 as unknown as string }, 'options.auth'],
    [{ url: 'http://a', socketOptions: { reconnection: true } as never }, 'socketOptions.reconnection is managed'],
    // socket.io-client would only trip over these once connecting.
    [{ url: 'http://a', socketOptions: { path: 5 } as never }, 'options.socketOptions.path'],
    [{ url: 'http://a', socketOptions: { transports: 'websocket' } as never }, 'options.socketOptions.transports'],
    [{ url: 'http://a', socketOptions: { transports: ['bogus'] } as never }, 'options.socketOptions.transports.0'],
  ] as const)('refuses %j with INVALID_OPTIONS naming the option', (options, message) => {
    const error = refusal(options as JobClientOptions);
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(message);
  });
});
