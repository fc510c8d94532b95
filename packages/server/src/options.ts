import type { Server as HttpServer } from 'node:http';
import { Server as NetServer } from 'node:net';
import { MAX_CLIENT_PACKET_BYTES, safeParseWithMessages, withoutUndefined, type HandshakeAuth, type PartialOptions } from '@org/ws-protocol';
import type { Server as SocketIoServer, ServerOptions as SocketIoServerOptions } from 'socket.io';
import * as z from 'zod/v4/mini';
import { JobServerOptionsError } from './errors';
import type { JobStore } from './jobs/job-store';
import type { JobServerCorsOptions } from './lifecycle/origin-policy';
import { firstOptionIssue } from './option-path';
import type { JobServerLogger } from './logger';
import { functionOption, loggerOption } from './option-schemas';
import { RedisOptionsSchema, type JobServerRedisOptions, type ResolvedRedisOptions } from './redis/redis-options';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Every default of `createJobServer`, in one place (SPEC §2). */
export const JOB_SERVER_DEFAULTS = {
  heartbeat: { intervalMs: 30 * SECOND, timeoutMs: 10 * SECOND },
  session: { idleTimeoutMs: 2 * HOUR, maxInactivityMs: 24 * HOUR, noticeGraceMs: 5 * SECOND },
  sweep: { intervalMs: 5 * MINUTE, staleJobMs: 1 * HOUR, finishedJobRetentionMs: 5 * MINUTE },
  limits: {
    maxConnectionsPerIp: 100,
    maxSubscriptionsPerConnection: 1000,
    trustProxy: false,
    maxPayloadBytes: 64 * 1024,
    handshakeTimeoutMs: 10 * SECOND,
    rateLimit: { events: 50, windowMs: 10 * SECOND, abuseStrikes: 10 },
    outbound: { conflateAboveBytes: 64 * 1024, maxPendingBytes: 1024 * 1024 },
    overload: { retryAfterMs: 5 * SECOND },
  },
  jobs: { bufferSize: 100 },
  shutdown: { timeoutMs: 30 * SECOND, retryWindowMs: 10 * SECOND },
} as const;

/** Per-IP connection cap used when `NODE_ENV=development` and none is given. */
export const DEVELOPMENT_MAX_CONNECTIONS_PER_IP = 1000;

/** What `authenticate` receives: the validated handshake `auth`, the request headers and the client IP. */
export interface HandshakeInfo {
  /** The validated handshake `auth` object. */
  auth: HandshakeAuth;
  /** HTTP headers of the handshake request. */
  headers: Record<string, string | string[] | undefined>;
  /** The client IP the server attributes the connection to. */
  ip: string;
}

/** Decides who a connection is; return `null`, `undefined` or `false` to refuse it with `UNAUTHORIZED`. */
export type AuthenticateHook = (handshake: HandshakeInfo) => unknown;

/** Decides whether a principal may watch a job; anything but `true` answers `FORBIDDEN`. */
export type AuthorizeSubscribeHook = (request: { principal: unknown; jobId: string }) => boolean | Promise<boolean>;

/** Options of `createJobServer`; every field is optional. */
export interface JobServerOptions {
  /** Attach to this HTTP(S) server instead of creating one. */
  httpServer?: HttpServer | undefined;
  /** Attach to this Socket.IO server instead of creating one (not with `httpServer`; one built with `connectionStateRecovery` is refused). */
  io?: SocketIoServer | undefined;
  /** Options for the Socket.IO server this package creates (ignored with `io`; `connectionStateRecovery` is refused). */
  socketIoOptions?: PartialOptions<SocketIoServerOptions> | undefined;
  /**
   * Pages on other origins that may connect (passed to Socket.IO's `cors`, and enforced on WebSocket too, which browsers
   * never check): a refused page gets `FORBIDDEN` and its client stops retrying. Not with `io`. @default undefined (no
   * cross-origin polling; WebSocket from any origin)
   * @example cors: { origin: ['https://app.example.com', /\.example\.com$/] }
   */
  cors?: JobServerCorsOptions | undefined;
  /** Liveness probing. */
  heartbeat?: {
    /** How often every connection gets a `heartbeat`. @default 30000 */
    intervalMs?: number | undefined;
    /** How long an answer may take before the connection counts as dead. @default 10000 */
    timeoutMs?: number | undefined;
  } | undefined;
  /** Inactivity rules. */
  session?: {
    /** A connection without subscriptions or events for this long is told `idle` and dropped. @default 7200000 (2 h) */
    idleTimeoutMs?: number | undefined;
    /** A connection without any activity for this long is told `session-expired` and dropped. @default 86400000 (24 h) */
    maxInactivityMs?: number | undefined;
    /** How long a client has to acknowledge a notice before it is disconnected. @default 5000 */
    noticeGraceMs?: number | undefined;
  } | undefined;
  /** The periodic sweep. */
  sweep?: {
    /** How often the one sweeper runs. @default 300000 (5 min) */
    intervalMs?: number | undefined;
    /** A non-terminal job without an update for this long is purged (subscribers get `job-expired`). @default 3600000 (1 h) */
    staleJobMs?: number | undefined;
    /** A terminal job is purged this long after its terminal update (once nobody watches it). @default 300000 (5 min) */
    finishedJobRetentionMs?: number | undefined;
  } | undefined;
  /** Abuse limits. */
  limits?: {
    /** Connections allowed per client IP. @default 100 (1000 when NODE_ENV=development) */
    maxConnectionsPerIp?: number | undefined;
    /**
     * Jobs one connection may watch at once (subscribed, or with a `subscribe-job` pending). A `subscribe-job` for one
     * more job is answered `TOO_MANY_SUBSCRIPTIONS`; one for a job already watched is answered as usual. @default 1000
     */
    maxSubscriptionsPerConnection?: number | undefined;
    /**
     * Proxies you control in front of this server: `true` is one, a number is that many (`false` or 0: none). The client IP is then
     * the `X-Forwarded-For` entry that many from the right (the one your outermost proxy appended), not the
     * client-controlled leftmost one; with a shorter list it is the socket address. @default false (socket address)
     */
    trustProxy?: boolean | number | undefined;
    /**
     * Largest message a client may send (Engine.IO's `maxHttpBufferSize`): a WebSocket frame, or the body of one polling
     * request. Past it the server closes the transport. At least `MAX_CLIENT_PACKET_BYTES`, the largest legal packet. @default 65536 (64 KiB)
     */
    maxPayloadBytes?: number | undefined;
    /**
     * How long a transport may stay open without completing the Socket.IO handshake before the server closes it
     * (Socket.IO's `connectTimeout`; it includes the time `authenticate` takes). @default 10000
     */
    handshakeTimeoutMs?: number | undefined;
    /** Per-socket token bucket for inbound events. */
    rateLimit?: {
      /** Bucket size: events allowed per window. @default 50 */
      events?: number | undefined;
      /** Time for an empty bucket to refill completely. @default 10000 */
      windowMs?: number | undefined;
      /** Refused events in a row before a `rate-limited` notice and a disconnect. @default 10 */
      abuseStrikes?: number | undefined;
    } | undefined;
    /** Slow readers: bytes Engine.IO queued for a connection and not yet written (write buffer plus WebSocket buffer). */
    outbound?: {
      /** Above this, the connection gets only the latest non-terminal state of each job, sent when it drains. @default 65536 */
      conflateAboveBytes?: number | undefined;
      /** Above this, the connection is closed with reason `slow-consumer` (the client recovers by `lastSeq`). @default 1048576 (1 MiB) */
      maxPendingBytes?: number | undefined;
    } | undefined;
    /**
     * Load shedding: while overloaded the server refuses new connections and new subscriptions with `OVERLOADED`; existing
     * subscribers keep receiving. Overloaded means the heap is past `heapUsedBytes`, a memory monitor's `heap` alert holds
     * (see `createMemoryMonitor`'s `shedLoad`), or `maintenance.startShedding()` or `maintenance.holdShedding()` was called.
     */
    overload?: {
      /** V8 heap in use above which the server sheds load by itself (checked at each heartbeat tick), until the heap is back under 90 % of it. @default undefined (only a memory monitor, `maintenance.startShedding()` or `maintenance.holdShedding()`) */
      heapUsedBytes?: number | undefined;
      /** Base of the `retryAfterMs` that `OVERLOADED` refusals carry; each adds up to as much again of jitter. @default 5000 */
      retryAfterMs?: number | undefined;
    } | undefined;
  } | undefined;
  /** Job history. */
  jobs?: {
    /** Recent updates kept per job for `lastSeq` recovery (at most 1000). @default 100 */
    bufferSize?: number | undefined;
  } | undefined;
  /** Graceful shutdown. */
  shutdown?: {
    /** Default deadline of `close()`. @default 30000 */
    timeoutMs?: number | undefined;
    /** Reconnect delays sent in `shutdown` notices are spread over this window. @default 10000 */
    retryWindowMs?: number | undefined;
  } | undefined;
  /** Authenticates the handshake; the result is the connection's principal. */
  authenticate?: AuthenticateHook | undefined;
  /** Authorizes each `subscribe-job`. */
  authorizeSubscribe?: AuthorizeSubscribeHook | undefined;
  /** Structured logger with pino's call shape. @default silent */
  logger?: JobServerLogger | undefined;
  /** Where job snapshots and recent updates live. @default an in-memory store (or Redis with `redis`) */
  store?: JobStore | undefined;
  /** Share job state, fan-out and per-IP counts with other server processes through Redis (needs `ioredis` and `@socket.io/redis-adapter`). @default undefined (one process, in memory) */
  redis?: JobServerRedisOptions | undefined;
  /** Clock in ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
}

/** Options after defaults were applied. */
export interface ResolvedJobServerOptions {
  httpServer: HttpServer | undefined;
  io: SocketIoServer | undefined;
  socketIoOptions: Partial<SocketIoServerOptions>;
  cors: JobServerCorsOptions | undefined;
  heartbeat: { intervalMs: number; timeoutMs: number };
  session: { idleTimeoutMs: number; maxInactivityMs: number; noticeGraceMs: number };
  sweep: { intervalMs: number; staleJobMs: number; finishedJobRetentionMs: number };
  limits: {
    maxConnectionsPerIp: number;
    maxSubscriptionsPerConnection: number;
    /** Trusted proxy hops: 0 for none (`false`), 1 for `true`. */
    trustProxy: number;
    maxPayloadBytes: number;
    handshakeTimeoutMs: number;
    rateLimit: { events: number; windowMs: number; abuseStrikes: number };
    outbound: { conflateAboveBytes: number; maxPendingBytes: number };
    overload: { heapUsedBytes?: number | undefined; retryAfterMs: number };
  };
  jobs: { bufferSize: number };
  shutdown: { timeoutMs: number; retryWindowMs: number };
  authenticate: AuthenticateHook | undefined;
  authorizeSubscribe: AuthorizeSubscribeHook | undefined;
  logger: JobServerLogger;
  store: JobStore | undefined;
  redis: ResolvedRedisOptions | undefined;
  now: () => number;
}

/** Longest duration accepted anywhere (24 days, the most a Node timer can wait). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Most proxy hops `limits.trustProxy` accepts; a longer chain of proxies you control is not plausible. */
const MAX_PROXY_HOPS = 100;

const durationMs = (fallback: number) => z._default(z.int().check(z.positive(), z.maximum(MAX_DURATION_MS)), fallback);
/** A pattern `test` can use again and again: `g` and `y` make `test` resume from the last match, refusing every other request. */
const statelessPattern = (pattern: RegExp): RegExp => (pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern);
const allowedOrigin = z.union([z.string(), z.pipe(z.instanceof(RegExp), z.transform(statelessPattern))]);
const isSocketIoServer = (value: unknown): value is SocketIoServer =>
  typeof value === 'object' && value !== null && typeof (value as SocketIoServer).use === 'function' && typeof (value as SocketIoServer).of === 'function';

// Socket.IO's recovery restores a socket's rooms without running the middlewares (by default), so a
// recovered socket would watch `job:*` rooms with no registry entry, past the auth and per-IP checks.
const NO_STATE_RECOVERY =
  "Socket.IO's connectionStateRecovery is not supported: a recovered socket skips the job server's handshake and rejoins job rooms it has no record of; clients recover per job by seq (subscribe-job with lastSeq)";

/** Whether a Socket.IO server was built with `connectionStateRecovery` (kept in its options, which are private in the types). */
const recoversConnectionState = (io: SocketIoServer): boolean =>
  Boolean((io as unknown as { opts?: Partial<SocketIoServerOptions> }).opts?.connectionStateRecovery);

const d = JOB_SERVER_DEFAULTS;

function optionsSchema(defaultMaxConnectionsPerIp: number) {
  const wholeMs = (fallback: number) => z._default(z.int().check(z.nonnegative(), z.maximum(MAX_DURATION_MS)), fallback);
  const count = (fallback: number) => z._default(z.int().check(z.positive()), fallback);
  return z.strictObject({
    httpServer: z.optional(z.custom<HttpServer>((value) => value instanceof NetServer, { error: 'must be an http.Server or https.Server' })),
    io: z.optional(
      z
        .custom<SocketIoServer>(isSocketIoServer, { error: 'must be a socket.io Server' })
        .check(z.refine((io) => !recoversConnectionState(io), { error: `has connectionStateRecovery enabled: ${NO_STATE_RECOVERY}` })),
    ),
    socketIoOptions: z.pipe(
      z._default(
        z
          .custom<PartialOptions<SocketIoServerOptions>>((value) => typeof value === 'object' && value !== null, { error: 'must be an object' })
          .check(
            z.refine((socketIo) => !socketIo.connectionStateRecovery, { error: NO_STATE_RECOVERY, path: ['connectionStateRecovery'] }),
            z.refine((socketIo) => socketIo.maxHttpBufferSize === undefined, { error: 'is set by the job server: use limits.maxPayloadBytes', path: ['maxHttpBufferSize'] }),
            z.refine((socketIo) => socketIo.connectTimeout === undefined, { error: 'is set by the job server: use limits.handshakeTimeoutMs', path: ['connectTimeout'] }),
            z.refine((socketIo) => socketIo.cors === undefined, { error: 'is set by the job server: use the cors option', path: ['cors'] }),
            // Socket.IO only trips over these once a client connects (a crash of the HTTP server's upgrade handler).
            z.refine((socketIo) => socketIo.allowRequest === undefined || typeof socketIo.allowRequest === 'function', {
              error: 'must be a function ((request, callback) => void)',
              path: ['allowRequest'],
            }),
            z.refine((socketIo) => socketIo.path === undefined || typeof socketIo.path === 'string', { error: 'must be a string', path: ['path'] }),
          ),
        {},
      ),
      // An option given as `undefined` would override Socket.IO's own default (its options are spread over them).
      z.transform((socketIo: PartialOptions<SocketIoServerOptions>): Partial<SocketIoServerOptions> => withoutUndefined(socketIo)),
    ),
    cors: z.optional(
      z.strictObject({
        origin: z.union([z.boolean(), allowedOrigin, z.array(allowedOrigin)], { error: 'must be true, false, an origin, a RegExp or a list of them' }),
        credentials: z.optional(z.boolean()),
      }),
    ),
    heartbeat: z.prefault(z.strictObject({ intervalMs: durationMs(d.heartbeat.intervalMs), timeoutMs: durationMs(d.heartbeat.timeoutMs) }), {}),
    session: z.prefault(
      z.strictObject({
        idleTimeoutMs: durationMs(d.session.idleTimeoutMs),
        maxInactivityMs: durationMs(d.session.maxInactivityMs),
        noticeGraceMs: durationMs(d.session.noticeGraceMs),
      }),
      {},
    ),
    sweep: z.prefault(
      z.strictObject({
        intervalMs: durationMs(d.sweep.intervalMs),
        staleJobMs: durationMs(d.sweep.staleJobMs),
        finishedJobRetentionMs: wholeMs(d.sweep.finishedJobRetentionMs),
      }),
      {},
    ),
    limits: z.prefault(
      z.strictObject({
        maxConnectionsPerIp: count(defaultMaxConnectionsPerIp),
        maxSubscriptionsPerConnection: count(d.limits.maxSubscriptionsPerConnection),
        trustProxy: z.pipe(
          z._default(
            z.union([z.boolean(), z.int().check(z.nonnegative(), z.maximum(MAX_PROXY_HOPS))], {
              error: `must be true, false or a number of proxy hops (0 to ${MAX_PROXY_HOPS})`,
            }),
            d.limits.trustProxy,
          ),
          z.transform((trust: boolean | number) => (trust === true ? 1 : trust === false ? 0 : trust)),
        ),
        maxPayloadBytes: z._default(
          z.int().check(z.minimum(MAX_CLIENT_PACKET_BYTES, `must be at least ${MAX_CLIENT_PACKET_BYTES} (MAX_CLIENT_PACKET_BYTES: the largest legal client packet)`)),
          d.limits.maxPayloadBytes,
        ),
        handshakeTimeoutMs: durationMs(d.limits.handshakeTimeoutMs),
        rateLimit: z.prefault(
          z.strictObject({
            events: count(d.limits.rateLimit.events),
            windowMs: durationMs(d.limits.rateLimit.windowMs),
            abuseStrikes: count(d.limits.rateLimit.abuseStrikes),
          }),
          {},
        ),
        outbound: z.prefault(
          z
            .strictObject({
              conflateAboveBytes: z._default(z.int().check(z.nonnegative()), d.limits.outbound.conflateAboveBytes),
              maxPendingBytes: count(d.limits.outbound.maxPendingBytes),
            })
            .check(
              z.refine((outbound) => outbound.conflateAboveBytes < outbound.maxPendingBytes, {
                error: 'conflateAboveBytes must be below maxPendingBytes',
                path: ['conflateAboveBytes'],
              }),
            ),
          {},
        ),
        overload: z.prefault(
          z.strictObject({
            heapUsedBytes: z.optional(z.int().check(z.positive())),
            retryAfterMs: durationMs(d.limits.overload.retryAfterMs),
          }),
          {},
        ),
      }),
      {},
    ),
    jobs: z.prefault(z.strictObject({ bufferSize: z._default(z.int().check(z.positive(), z.maximum(1000)), d.jobs.bufferSize) }), {}),
    shutdown: z.prefault(
      z.strictObject({
        timeoutMs: durationMs(d.shutdown.timeoutMs),
        retryWindowMs: wholeMs(d.shutdown.retryWindowMs),
      }),
      {},
    ),
    authenticate: z.optional(functionOption<AuthenticateHook>('handshake => principal')),
    authorizeSubscribe: z.optional(functionOption<AuthorizeSubscribeHook>('({ principal, jobId }) => boolean')),
    logger: loggerOption,
    store: z.optional(
      z.custom<JobStore>(
        (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          ['append', 'get', 'replay', 'delete', 'findExpired', 'size'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function'),
        { error: 'must implement the JobStore interface' },
      ),
    ),
    redis: z.optional(RedisOptionsSchema),
    now: z._default(functionOption<() => number>('() => milliseconds'), () => Date.now),
  });
}

/**
 * Validates options and applies `JOB_SERVER_DEFAULTS`.
 * @throws JobServerOptionsError naming the first invalid option.
 */
export function resolveOptions(options: unknown, env: string | undefined = process.env.NODE_ENV): ResolvedJobServerOptions {
  const maxConnectionsPerIp = env === 'development' ? DEVELOPMENT_MAX_CONNECTIONS_PER_IP : d.limits.maxConnectionsPerIp;
  const parsed = parseOrThrow(optionsSchema(maxConnectionsPerIp), options ?? {});
  const resolved: ResolvedJobServerOptions = {
    httpServer: undefined,
    io: undefined,
    authenticate: undefined,
    authorizeSubscribe: undefined,
    store: undefined,
    redis: undefined,
    cors: undefined,
    ...parsed,
  };
  if (resolved.io && resolved.httpServer) throw new JobServerOptionsError('io', 'give either io or httpServer, not both');
  if (resolved.io && resolved.cors) throw new JobServerOptionsError('cors', 'is for the Socket.IO server this package creates: give cors to your own io');
  return resolved;
}

/** Options of `JobServer.close()`. */
export interface CloseOptions {
  /** How long clients get to acknowledge the `shutdown` notice before everyone is disconnected; 0 sends the notices and waits for no ack. @default `shutdown.timeoutMs` */
  timeoutMs?: number | undefined;
}

/**
 * The deadline of a `close()` call: a whole number of ms from 0 (send the notices, wait for no ack) up to 2^31 - 1.
 * @throws JobServerOptionsError naming `timeoutMs` (or the unknown key).
 */
export function resolveCloseTimeoutMs(options: unknown, fallback: number): number {
  return parseOrThrow(z.optional(z.strictObject({ timeoutMs: z._default(z.int().check(z.nonnegative(), z.maximum(MAX_DURATION_MS)), fallback) })), options)?.timeoutMs ?? fallback;
}

/** The interface and port `listen()` binds, its defaults applied. */
export interface ResolvedListenOptions {
  port: number;
  host: string;
}

/** `listen()`'s options, absent ones (or all of them) given their defaults. */
const listenOptionsSchema = z.prefault(
  z.strictObject({
    port: z._default(z.int().check(z.nonnegative(), z.maximum(65_535)), 0),
    host: z._default(z.string().check(z.minLength(1)), '127.0.0.1'),
  }),
  {},
);

/**
 * Checks the options of `listen()`: `port` a whole number from 0 (a free one) to 65535, `host` a non-empty string.
 * Node would take a port string as a pipe path, and bind every interface for a `host` that is not a string.
 * @throws JobServerOptionsError naming `port`, `host` (or the unknown key).
 */
export function resolveListenOptions(options: unknown): ResolvedListenOptions {
  return parseOrThrow(listenOptionsSchema, options);
}

/** Parses options with `schema`; throws JobServerOptionsError naming the first problem. */
function parseOrThrow<T>(schema: z.ZodMiniType<T>, options: unknown): T {
  const result = safeParseWithMessages(schema, options);
  if (!result.success) {
    const { option, message } = firstOptionIssue(result.error);
    throw new JobServerOptionsError(option, message, { cause: result.error });
  }
  return result.data;
}
