import type { NoticeReason, ProtocolError, TimeoutNotice } from '@org/ws-protocol';
import type { ErrorReporter } from '../error-reporter';
import type { JobIoServer } from '../job-server-api';
import { logs, type JobServerLogger } from '../logger';
import type { ResolvedJobServerOptions } from '../options';
import { countBy, type JobServerCounters } from '../stats';
import { ClientEventGate, type ClientEventDeps } from './client-events';
import type { ConnectionCounter } from './connection-counter';
import { connectionRecordFactory, type ConnectionRecordFields } from './connection-record';
import type { ConnectionRecord, ConnectionRegistry, JobSocket } from './connection-registry';
import { OriginPolicy } from './origin-policy';
import { createHandshakeMiddleware, type Admission } from './handshake';
import { discardConnection } from './discard-connection';
import { HeartbeatMonitor } from './heartbeat';
import { NoticeTracker } from './notices';
import type { TokenBucketLimiter } from './rate-limit';
import type { ServerPhase } from './server-phase';
import { useOnSharedIo } from './shared-io-middleware';
import { refusalRetryAfterMs } from './shutdown';
import { TransportAdmission, type Transport } from './transport-admission';

/** What the connection lifecycle needs from the server. */
export interface ConnectionLifecycleDeps {
  phase: ServerPhase;
  now: () => number;
  registry: ConnectionRegistry;
  /** Per-IP slots, one per open transport. */
  ipLimit: ConnectionCounter;
  limiter: TokenBucketLimiter;
  options: Pick<ResolvedJobServerOptions, 'heartbeat' | 'session' | 'limits' | 'shutdown' | 'authenticate' | 'cors'>;
  /** Handlers of the client's requests (`subscribe-job`, `unsubscribe-job`). */
  handlers: ClientEventDeps['handlers'];
  counters: JobServerCounters;
  logger: Required<JobServerLogger>;
  reporter: ErrorReporter;
  /** Called with each accepted connection before anything is sent to it (the fanout watches its writes). */
  onAccepted: (record: ConnectionRecord) => void;
  /** While the server sheds load, the `retryAfterMs` of an `OVERLOADED` refusal; otherwise `undefined`. */
  overloadedRetryAfterMs: () => number | undefined;
}

/** Optional fields of a notice beyond its reason and grace. */
type NoticeExtra = { reconnect: boolean; retryAfterMs?: number };

/**
 * Owns a connection from its transport to release: admission (of the transport, then of the handshake), its record,
 * heartbeats, notices, and removing every trace of it (registry, rate limit, heartbeat, notice) exactly once, with the
 * reason it ended; the transport's IP slot goes when the transport closes.
 */
export class ConnectionLifecycle {
  /** Open transports and their per-IP slots. */
  readonly transports: TransportAdmission;
  /** Liveness probes of every connection. */
  readonly heartbeat: HeartbeatMonitor;
  /** Notices waiting for their acknowledgement. */
  readonly notices: NoticeTracker;
  readonly #deps: ConnectionLifecycleDeps;
  readonly #admissions = new WeakMap<JobSocket, Admission>();
  readonly #closeReasons = new WeakMap<ConnectionRecord, string>();
  // Connections already told to leave: a flood that goes on between the notice's ack and the disconnect
  // must not earn them a second notice (weak, so it holds nothing once the record is gone).
  readonly #leaving = new WeakSet<ConnectionRecord>();
  // Per transport still open after its connection ended, the rate-limit bucket it left (when it is full again): a client
  // that reconnects its namespace on the same transport goes on with it, not with a fresh one (weak: gone with the transport).
  readonly #leftRates = new WeakMap<Transport, number>();
  readonly #clientEvents: ClientEventGate;
  readonly #newRecord: (fields: ConnectionRecordFields) => ConnectionRecord;
  // Shared by every socket (Socket.IO calls them with the socket as `this`), so that a connection costs no closure for them.
  readonly #onSocketDisconnect: (this: JobSocket, reason: string) => void;
  /** Takes the handshake middleware off an application's Socket.IO server; set only when attached to one. */
  #unuseMiddleware: (() => void) | undefined;

  constructor(deps: ConnectionLifecycleDeps) {
    this.#deps = deps;
    const { now, counters, logger, limiter, options, reporter } = deps;
    this.#newRecord = connectionRecordFactory(now());
    this.transports = new TransportAdmission({
      now,
      ipLimit: deps.ipLimit,
      trustProxy: options.limits.trustProxy,
      handshakeTimeoutMs: options.limits.handshakeTimeoutMs,
      onRefused: this.#onRefused,
      onError: (error) => reporter.report(error, 'connection-counter'),
      onAllowRequestError: (error) => reporter.report(error, 'allowRequest'),
    });
    this.notices = new NoticeTracker(now);
    this.heartbeat = new HeartbeatMonitor({
      ...options.heartbeat,
      now,
      connections: () => deps.registry.values(),
      onDead: (record) => {
        counters.heartbeatTimeouts += 1;
        logger.info({ socketId: record.id, ip: record.ip }, 'job server: heartbeat unanswered, dropping connection');
        this.drop(record, 'heartbeat-timeout');
      },
      onInvalidAnswer: () => {
        counters.invalidHeartbeatAnswers += 1;
      },
    });
    // Shared by every connection: per-socket state lives in its record, so that a connection costs no closure for it
    // (measured by `pnpm bench`: memory per idle connection).
    this.#clientEvents = new ClientEventGate({
      now,
      limiter,
      abuseStrikes: options.limits.rateLimit.abuseStrikes,
      counters,
      handlers: deps.handlers,
      onAbuse: (record) => {
        if (this.#leaving.has(record)) return;
        logger.warn({ socketId: record.id, ip: record.ip }, 'job server: persistent event flood, disconnecting');
        void this.notify(record, 'rate-limited', { reconnect: true, retryAfterMs: limiter.msUntilFull(record, now()) });
      },
      onError: deps.reporter.report,
      recordOf: (socket) => deps.registry.get(socket.id),
      // Socket.IO reports a frame it cannot decode this way, then closes the transport (which releases the record).
      onSocketError: (record, error) => {
        counters.malformedPackets += 1;
        this.#closeReasons.set(record, 'malformed-packet');
        logger.warn({ socketId: record.id, ip: record.ip, err: error }, 'job server: undecodable packet, dropping connection');
      },
    });
    const lifecycle = this;
    this.#onSocketDisconnect = function (this: JobSocket, reason: string): void {
      const record = deps.registry.get(this.id);
      if (record?.socket === this) lifecycle.#release(record, reason);
    };
  }

  /**
   * Puts the handshake middleware and the connection handler on `io`; with `guardTransports` (a Socket.IO server the
   * job server created) every Engine.IO connection is admitted as it opens, otherwise at its Socket.IO handshake.
   */
  attach(io: JobIoServer, guardTransports: boolean): void {
    const { options, reporter, phase } = this.#deps;
    if (guardTransports) this.transports.guard(io);
    const shuttingDownRetryAfterMs = refusalRetryAfterMs(options.shutdown.retryWindowMs);
    const middleware = createHandshakeMiddleware({
      accepting: () => phase.running,
      shuttingDownRetryAfterMs,
      overloadedRetryAfterMs: this.#deps.overloadedRetryAfterMs,
      transports: this.transports,
      trustProxy: options.limits.trustProxy,
      authenticate: options.authenticate,
      origins: options.cors && new OriginPolicy(options.cors),
      admissions: this.#admissions,
      onRefused: this.#onRefused,
      onHookError: (error) => reporter.report(error, 'authenticate'),
    });
    // A Socket.IO server the job server created goes with it; the application's outlives it (and may get another).
    if (guardTransports) io.use(middleware);
    else this.#unuseMiddleware = useOnSharedIo(io, middleware, shuttingDownRetryAfterMs);
    io.on('connection', this.#onConnection);
  }

  /** Stops accepting connections from `io` and gives back the slots of transports still open (an application's `io` keeps them). */
  detach(io: JobIoServer): void {
    io.off('connection', this.#onConnection);
    this.#unuseMiddleware?.();
    this.transports.release(io);
  }

  /** Runs the heartbeat round and the notice deadlines (called by the server's one ticker). */
  tick(): void {
    this.heartbeat.tick();
    this.notices.tick();
  }

  /**
   * Ends a connection from the server side, recording why for the `disconnect` event. On a Socket.IO server the job
   * server created its transport goes too; on the application's, only the job server's namespace leaves it, so that
   * the application's own namespaces on the same transport go on.
   */
  drop(record: ConnectionRecord, reason: string): void {
    if (!this.#closeReasons.has(record)) this.#closeReasons.set(record, reason);
    record.socket.disconnect(!this.#onApplicationIo);
  }

  /** Attached to a Socket.IO server the application created (and keeps running). */
  get #onApplicationIo(): boolean {
    return this.#unuseMiddleware !== undefined;
  }

  /** Closes a connection whose pending outbound bytes passed the cap, discarding its backlog instead of waiting for it to drain. */
  dropSlowConsumer(record: ConnectionRecord, pendingBytes: number): void {
    const { counters, logger } = this.#deps;
    if (this.#closeReasons.has(record)) return;
    this.#closeReasons.set(record, 'slow-consumer');
    counters.slowConsumerDisconnects += 1;
    logger.warn({ socketId: record.id, ip: record.ip, pendingBytes }, 'job server: slow consumer, closing connection');
    // A graceful close waits for the backlog to drain, which a stalled reader never does.
    discardConnection(record.socket.conn);
  }

  /** Sends a notice, waits for its ack or deadline, then disconnects (unless a newer notice took over). */
  async noticeAndDisconnect(record: ConnectionRecord, notice: TimeoutNotice, deadline?: number): Promise<void> {
    const { counters, reporter, logger } = this.#deps;
    this.#leaving.add(record);
    counters.noticesSent += 1;
    countBy(counters.noticesSentByReason, notice.reason);
    reporter.events.emit('notice', { socketId: record.id, notice });
    logger.info({ socketId: record.id, notice }, 'job server: notice sent');
    const outcome = await this.notices.send(record, notice, deadline);
    if (outcome !== 'superseded') this.drop(record, notice.reason);
  }

  /** Tells a connection to leave for `reason` with the configured grace, then disconnects it. */
  notify(record: ConnectionRecord, reason: NoticeReason, extra: NoticeExtra): Promise<void> {
    return this.noticeAndDisconnect(record, { reason, graceMs: this.#deps.options.session.noticeGraceMs, ...extra });
  }

  /** Removes every trace of a connection; safe to call more than once. */
  #release(record: ConnectionRecord, socketReason: string): void {
    const { registry, limiter, logger, reporter } = this.#deps;
    if (registry.remove(record.id) !== record) return;
    const { rateFullAt } = record;
    if (rateFullAt !== undefined && record.socket.conn.readyState !== 'closed') this.#leftRates.set(record.socket.conn, rateFullAt);
    limiter.delete(record);
    this.heartbeat.forget(record.id);
    this.notices.forget(record.id);
    this.transports.uncarry(record.socket.conn, record.ip);
    // Neither the log's context nor the event is built when nobody takes them (this runs for every connection).
    if (!logs(logger.debug) && !reporter.events.has('disconnect')) return;
    const reason = this.#closeReasons.get(record) ?? socketReason;
    logger.debug({ socketId: record.id, ip: record.ip, reason }, 'job server: connection closed');
    const { connectedAt, lastActivityAt, lastAliveAt } = record;
    reporter.events.emit('disconnect', { socketId: record.id, ip: record.ip, reason, connectedAt, lastActivityAt, lastAliveAt });
  }

  readonly #onRefused = (error: ProtocolError, ip: string): void => {
    const { counters, logger } = this.#deps;
    counters.refusedConnections += 1;
    countBy(counters.refusedConnectionsByCode, error.code);
    logger.warn({ ip, code: error.code }, `job server: connection refused: ${error.message}`);
  };

  readonly #onConnection = (socket: JobSocket): void => {
    const { registry, phase, now, logger, reporter } = this.#deps;
    const admission = this.#admissions.get(socket);
    if (!admission) {
      // Only possible when the application's own middleware admitted a socket before ours ran.
      socket.disconnect(true);
      return;
    }
    this.#admissions.delete(socket);
    // A listener that ran before this one (the application's, on `connect` or on its own io) disconnected it already:
    // nothing is registered, and a transport still open may carry a new handshake (within the handshake deadline).
    if (!socket.connected) {
      this.transports.unclaim(socket.conn);
      return;
    }
    // The handshake claimed the transport, and Socket.IO drops a socket whose transport closed meanwhile: `carry` fails
    // only if that ever changes, and the connection is then refused like one that arrives while the server closes.
    if (!phase.running || !this.transports.carry(socket.conn)) {
      socket.disconnect(true);
      return;
    }
    const record = this.#newRecord({ socket, ip: admission.ip, principal: admission.principal, connectedAt: now() });
    const leftRate = this.#leftRates.get(socket.conn);
    if (leftRate !== undefined) {
      this.#leftRates.delete(socket.conn);
      this.#deps.limiter.restore(record, leftRate, now());
    }
    registry.add(record);
    this.#deps.onAccepted(record);
    socket.on('disconnect', this.#onSocketDisconnect);
    this.#clientEvents.attach(record);
    this.heartbeat.welcome(record);
    if (logs(logger.debug)) logger.debug({ socketId: socket.id, ip: admission.ip }, 'job server: connection accepted');
    if (reporter.events.has('connection')) reporter.events.emit('connection', { socketId: socket.id, ip: admission.ip, principal: admission.principal });
  };
}
