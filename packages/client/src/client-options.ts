import {
  parseWire,
  wireArray,
  wireBoolean,
  wireCustom,
  wireNumber,
  wireObject,
  wireOptional,
  wireString,
  withoutUndefined,
  type PartialOptions,
  type WireCheck,
} from '@org/ws-protocol';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { BackoffOptions, RandomSource } from './backoff';
import { connectUrlProblem } from './connect-url';
import { JobClientError } from './errors';
import type { HeartbeatOptions } from './heartbeat-watchdog';
import { MAX_TIMER_DELAY_MS } from './timer-delay';

/** A credential, or a function called on every (re)connect so each handshake carries a fresh one. */
export type AuthOption = string | (() => string | Promise<string>);

/** Socket.IO client options passed through to every connection; the reconnect-related ones are the client's own and cannot be set. */
export type SocketPassthroughOptions = Omit<PartialOptions<ManagerOptions & SocketOptions>, ReservedSocketOption>;

/** The socket.io-client options the job client sets itself (`socketOptions` refuses them). */
export type ReservedSocketOption = 'reconnection' | 'autoConnect' | 'auth' | 'forceNew' | 'timeout' | 'ackTimeout' | 'retries';
const RESERVED_SOCKET_OPTIONS = {
  reconnection: true,
  autoConnect: true,
  auth: true,
  forceNew: true,
  timeout: true,
  ackTimeout: true,
  retries: true,
} as const satisfies Record<ReservedSocketOption, true>;

/** Options of {@link createJobClient}. Give `url` or `urls`. Durations are in ms, at most 2^31−1 (`setTimeout`'s limit). */
export interface JobClientOptions {
  /** Server URL, e.g. `https://jobs.example.com`. */
  url?: string | undefined;
  /** Several equivalent server URLs; the client moves to the next one on every reconnect. */
  urls?: readonly string[] | undefined;
  /** Credential sent as the handshake `token`. @default undefined (no token) */
  auth?: AuthOption | undefined;
  /** Reconnect backoff (exponential, full jitter). @default JOB_CLIENT_DEFAULTS.reconnect */
  reconnect?: PartialOptions<BackoffOptions> | undefined;
  /** Heartbeat watchdog, or `false` to rely on the transport alone. @default JOB_CLIENT_DEFAULTS.heartbeat */
  heartbeat?: PartialOptions<HeartbeatOptions> | false | undefined;
  /** How long to wait for the server's reply to `subscribe-job` / `unsubscribe-job`. @default 10000 */
  ackTimeoutMs?: number | undefined;
  /**
   * How long one connection attempt may take, all of it: the `auth` function, the transport's open and the server's
   * handshake reply. Past it the attempt fails with `TIMEOUT` and is retried with backoff. @default 20000
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Connect as soon as the client is created. By default the client opens nothing until the first `subscribe()`,
   * `watch()`, `waitFor()` or `connect()`, so creating one at module scope (server rendering, tests) is free. @default false
   */
  autoConnect?: boolean | undefined;
  /** Jitter source; inject a fixed one in tests. @default Math.random */
  random?: RandomSource | undefined;
  /** Extra socket.io-client options (`path`, `transports`, `extraHeaders`, ...). @default {} */
  socketOptions?: SocketPassthroughOptions | undefined;
}

/** Every default of {@link JobClientOptions}, in one place. */
export const JOB_CLIENT_DEFAULTS = {
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, minDelayMs: 100 },
  heartbeat: { intervalMs: 30_000, graceMs: 10_000 },
  ackTimeoutMs: 10_000,
  connectTimeoutMs: 20_000,
  autoConnect: false,
} as const satisfies {
  reconnect: BackoffOptions;
  heartbeat: HeartbeatOptions;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  autoConnect: boolean;
};

/** Options with every default applied. */
export interface ResolvedJobClientOptions {
  /** At least one URL. */
  urls: readonly string[];
  /** Credential source. */
  auth: AuthOption | undefined;
  /** Backoff settings. */
  reconnect: BackoffOptions;
  /** Watchdog settings. */
  heartbeat: HeartbeatOptions | false;
  /** Request reply deadline. */
  ackTimeoutMs: number;
  /** Connection attempt deadline. */
  connectTimeoutMs: number;
  /** Connect on creation. */
  autoConnect: boolean;
  /** Jitter source. */
  random: RandomSource;
  /** socket.io-client passthrough, without the options given as `undefined`. */
  socketOptions: Omit<Partial<ManagerOptions & SocketOptions>, ReservedSocketOption>;
}

/**
 * The shape of the options, checked without zod so that the client's bundle carries none. Every duration is at most
 * `MAX_TIMER_DELAY_MS` (2^31−1 ms, about 24.8 days): `setTimeout` fires a longer delay at once.
 */
const optionsCheck = /* @__PURE__ */ (() => {
  const delay = wireOptional(wireNumber(false, ['>=', 0], ['<=', MAX_TIMER_DELAY_MS]));
  const positive = wireOptional(wireNumber(false, ['>', 0], ['<=', MAX_TIMER_DELAY_MS]));
  const isString = wireString(1, Infinity);
  const connectable = wireCustom<string>((value) => connectUrlProblem(value as string));
  const url: WireCheck<string> = (value) => isString(value) ?? connectable(value);
  const isFunction = (message: string) => wireCustom((value) => (typeof value === 'function' ? undefined : message));
  const heartbeat = wireObject({ intervalMs: positive, graceMs: delay });
  // A transport by name, or (engine.io-client 6.6+) by its class.
  const transport = wireCustom((value) =>
    typeof value === 'function' || value === 'polling' || value === 'websocket' || value === 'webtransport' ? undefined : "must be 'polling', 'websocket', 'webtransport' or a transport class",
  );
  return wireObject<JobClientOptions>({
    url: wireOptional(url),
    urls: wireOptional(wireArray(url, Infinity, 1)),
    auth: wireOptional((value) => (typeof value === 'string' ? undefined : isFunction('must be a string or a function')(value))),
    reconnect: wireOptional(wireObject({ initialDelayMs: delay, maxDelayMs: delay, factor: wireOptional(wireNumber(false, ['>=', 1])), minDelayMs: delay })),
    heartbeat: wireOptional((value) => (value === false ? undefined : heartbeat(value))),
    ackTimeoutMs: positive,
    connectTimeoutMs: positive,
    autoConnect: wireOptional(wireBoolean),
    random: wireOptional(isFunction('must be a function')),
    // What socket.io-client would only trip over once connecting; the other passthrough options are its to check.
    socketOptions: wireOptional(wireObject({ path: wireOptional(wireString(1, Infinity)), transports: wireOptional(wireArray(transport, Infinity, 1)) })),
  });
})() satisfies WireCheck<JobClientOptions>;

/** Validates options and applies defaults; throws `JobClientError` `INVALID_OPTIONS` naming the bad option. */
export function resolveJobClientOptions(options: JobClientOptions): ResolvedJobClientOptions {
  const parsed = parseWire(optionsCheck, options, 'options');
  if (!parsed.ok) throw new JobClientError('INVALID_OPTIONS', parsed.error.message);
  const urls = options.urls ?? (options.url === undefined ? [] : [options.url]);
  if (urls.length === 0) throw new JobClientError('INVALID_OPTIONS', 'options: give `url` or `urls`');
  if (options.url !== undefined && options.urls !== undefined) {
    throw new JobClientError('INVALID_OPTIONS', 'options: give either `url` or `urls`, not both');
  }
  const reconnect: BackoffOptions = { ...JOB_CLIENT_DEFAULTS.reconnect, ...withoutUndefined(options.reconnect ?? {}) };
  if (reconnect.minDelayMs > reconnect.maxDelayMs) {
    throw new JobClientError('INVALID_OPTIONS', 'options.reconnect: minDelayMs must not exceed maxDelayMs');
  }
  const socketOptions = withoutUndefined(options.socketOptions ?? {});
  for (const reserved of Object.keys(RESERVED_SOCKET_OPTIONS)) {
    if (reserved in socketOptions) {
      throw new JobClientError('INVALID_OPTIONS', `options.socketOptions.${reserved} is managed by the job client`);
    }
  }
  return {
    urls: [...urls],
    auth: options.auth,
    reconnect,
    heartbeat: options.heartbeat === false ? false : { ...JOB_CLIENT_DEFAULTS.heartbeat, ...withoutUndefined(options.heartbeat ?? {}) },
    ackTimeoutMs: options.ackTimeoutMs ?? JOB_CLIENT_DEFAULTS.ackTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? JOB_CLIENT_DEFAULTS.connectTimeoutMs,
    autoConnect: options.autoConnect ?? JOB_CLIENT_DEFAULTS.autoConnect,
    random: options.random ?? Math.random,
    socketOptions,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
