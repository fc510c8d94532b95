import {
  EventName,
  HeartbeatCheck,
  JobExpiredCheck,
  JobUpdateCheck,
  parseWire,
  PROTOCOL_VERSION,
  ProtocolErrorCheck,
  TimeoutNoticeCheck,
  TOO_MANY_CONNECTIONS_MESSAGE,
  type WireCheck,
  type ClientToServerEvents,
  type HandshakeAuth,
  type JobExpired,
  type JobUpdate,
  type ServerToClientEvents,
  type TimeoutNotice,
} from '@org/ws-protocol';
import { io, type Socket } from 'socket.io-client';
import type { ResolvedJobClientOptions } from './client-options';
import type { ConnectionState, ReconnectReason } from './connection-state';
import { JobClientError } from './errors';
import { EventEmitter } from './event-emitter';
import { HeartbeatWatchdog } from './heartbeat-watchdog';
import { retryDelayMs, retryRuleFor, type RetryTrigger } from './retry-policy';
import { crossOriginHint, transportRefusal } from './transport-refusal';

/** A socket speaking the job protocol. */
export type JobSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Events of a {@link Connection}. */
export interface ConnectionEvents {
  /** The state changed. */
  state: (state: ConnectionState) => void;
  /** A socket finished its handshake; resubscribe on it. */
  open: (socket: JobSocket) => void;
  /** The socket that was open is gone; subscriptions on it are gone with it. */
  lost: () => void;
  /** A valid `job-update`. */
  update: (update: JobUpdate) => void;
  /** A valid `job-expired`. */
  expired: (notice: JobExpired) => void;
  /** A valid `server-timeout-notice`, already acknowledged. */
  notice: (notice: TimeoutNotice) => void;
  /** Something went wrong that the application may want to see. */
  error: (error: JobClientError) => void;
}

/** What a notice asked us to do once the server drops the socket. */
interface PendingNotice {
  trigger: RetryTrigger;
  reason: ReconnectReason;
  retryAfterMs: number | undefined;
}

type InboundHandler = (payload: unknown, ack: unknown) => void;

/**
 * One logical connection to the server across many sockets: handshake with fresh auth, heartbeat
 * watchdog, notices, and the reconnect loop with backoff and URL failover (socket.io's own is off).
 *
 * Listeners of `state`, `error` and `notice` run application code, which may call `close()`: every step after
 * such an emit checks that its generation is still current, and timers are armed before the state that announces
 * them, so a `close()` from any listener sticks.
 */
export class Connection {
  /** Emits state changes, inbound messages and errors. */
  readonly events = new EventEmitter<ConnectionEvents>();
  private current: ConnectionState;
  private socket: JobSocket | undefined;
  private open = false;
  /** Bumped whenever a socket or pending attempt is abandoned, so its late callbacks are ignored. */
  private generation = 0;
  private urlIndex = 0;
  /** Consecutive attempts since the last successful handshake. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline of the attempt under way (`connectTimeoutMs`). */
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingNotice: PendingNotice | undefined;
  /** When the last reconnect at once was due (ms since the epoch). */
  private lastImmediateAt = Number.NEGATIVE_INFINITY;
  private readonly watchdog: HeartbeatWatchdog;

  /** `wanted` says whether a job still waits for its outcome, so that the connection is needed (see `idle` in retry()). */
  constructor(
    private readonly options: ResolvedJobClientOptions,
    private readonly wanted: () => boolean,
  ) {
    this.current = { status: 'disconnected', reason: 'not-started' };
    this.watchdog = new HeartbeatWatchdog(options.heartbeat, () => this.onHeartbeatMissed());
  }

  /** Current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** The socket, while connected. */
  get openSocket(): JobSocket | undefined {
    return this.open ? this.socket : undefined;
  }

  /** Connects now if disconnected (and not closed); otherwise leaves the running attempt or loop alone. */
  connect(): void {
    if (this.current.status !== 'disconnected' || this.current.reason === 'closed') return;
    this.failures = 0;
    this.attempt();
  }

  /** Stops everything: socket, reconnect timer, watchdog. Final. */
  close(): void {
    if (this.current.status === 'disconnected' && this.current.reason === 'closed') return;
    this.generation += 1;
    this.clearRetryTimer();
    this.clearDeadline();
    this.dropSocket();
    this.setState({ status: 'disconnected', reason: 'closed' });
  }

  private attempt(): void {
    const generation = ++this.generation;
    const url = this.options.urls[this.urlIndex % this.options.urls.length]!;
    this.armDeadline(url, generation);
    this.setState({ status: 'connecting', url, attempt: this.failures });
    if (generation !== this.generation) return;
    this.resolveToken().then(
      (token) => {
        if (generation === this.generation) this.startSocketOrRetry(url, token, generation);
      },
      (cause: unknown) => {
        if (generation !== this.generation) return;
        const error = new JobClientError('UNAUTHORIZED', 'the auth function failed', { cause });
        this.events.emit('error', error);
        if (generation === this.generation) this.retry('UNAUTHORIZED', 'connect-failed', error, undefined);
      },
    );
  }

  /**
   * One deadline for the whole attempt: the auth function, the transport's open and the server's answer to the
   * Socket.IO CONNECT (socket.io-client's own `timeout` covers the transport only). Expiry is a failed attempt
   * (`TIMEOUT`), retried with backoff.
   */
  private armDeadline(url: string, generation: number): void {
    this.clearDeadline();
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      if (generation !== this.generation) return;
      const current = this.abandonSocket();
      const error = new JobClientError('TIMEOUT', `could not connect to ${url} within connectTimeoutMs (${this.options.connectTimeoutMs} ms: auth, transport and handshake)`);
      this.events.emit('error', error);
      if (current === this.generation) this.retry('TIMEOUT', 'connect-failed', error, undefined);
    }, this.options.connectTimeoutMs);
  }

  private async resolveToken(): Promise<string | undefined> {
    const { auth } = this.options;
    if (typeof auth !== 'function') return auth;
    const token: unknown = await auth();
    if (typeof token !== 'string') throw new TypeError(`the auth function must return a string, got ${typeof token}`);
    return token;
  }

  /** Starts the attempt's socket; one that cannot even be created (socket.io-client throws, e.g. on a bad `socketOptions`) is a failed attempt. */
  private startSocketOrRetry(url: string, token: string | undefined, generation: number): void {
    try {
      this.startSocket(url, token, generation);
    } catch (cause) {
      if (generation !== this.generation) return;
      const current = this.abandonSocket();
      const error = new JobClientError('TRANSPORT_ERROR', `could not open a socket to ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      this.events.emit('error', error);
      if (current === this.generation) this.retry('TRANSPORT_ERROR', 'connect-failed', error, undefined);
    }
  }

  private startSocket(url: string, token: string | undefined, generation: number): void {
    const handshake: HandshakeAuth = token === undefined ? { protocolVersion: PROTOCOL_VERSION } : { protocolVersion: PROTOCOL_VERSION, token };
    const socket: JobSocket = io(url, {
      ...this.options.socketOptions,
      forceNew: true,
      reconnection: false,
      autoConnect: false,
      timeout: this.options.connectTimeoutMs,
      auth: handshake,
    });
    this.socket = socket;
    const live = (): boolean => generation === this.generation;

    socket.on('connect', () => {
      if (!live()) return;
      this.open = true;
      this.failures = 0;
      this.clearDeadline();
      this.watchdog.arm();
      this.setState({ status: 'connected', url });
      if (live()) this.events.emit('open', socket);
    });
    socket.on('connect_error', (error: Error) => {
      if (!live()) return;
      // A server may refuse a socket that is already connected (a CONNECT_ERROR packet after the CONNECT): its
      // subscriptions go with it, as on a disconnect.
      const wasOpen = this.open;
      const current = this.abandonSocket();
      if (wasOpen) this.events.emit('lost');
      if (current !== this.generation) return;
      const { trigger, reported } = this.describeConnectError(error, url);
      this.events.emit('error', reported);
      if (current === this.generation) this.retry(trigger, 'connect-failed', reported, reported.retryAfterMs);
    });
    socket.on('disconnect', () => {
      if (!live()) return;
      const notice = this.pendingNotice;
      const current = this.abandonSocket();
      this.events.emit('lost');
      if (current !== this.generation) return;
      if (notice) this.retry(notice.trigger, notice.reason, undefined, notice.retryAfterMs);
      else this.retry('TRANSPORT_ERROR', 'connection-lost', undefined, undefined);
    });

    // Inbound payloads are untrusted: listen untyped, validate, and only then act.
    const listen = (event: string, handler: InboundHandler): void => {
      (socket as unknown as Socket).on(event, (payload: unknown, ack: unknown) => {
        if (live()) handler(payload, ack);
      });
    };
    listen(EventName.Heartbeat, (payload, ack) => {
      const probe = this.validate(HeartbeatCheck, payload, EventName.Heartbeat);
      if (!probe) return;
      this.watchdog.arm(probe);
      if (typeof ack === 'function') ack({ ts: probe.ts });
    });
    listen(EventName.ServerTimeoutNotice, (payload, ack) => {
      const notice = this.validate(TimeoutNoticeCheck, payload, EventName.ServerTimeoutNotice);
      if (!notice) return;
      if (typeof ack === 'function') ack({ reason: notice.reason });
      this.events.emit('notice', notice);
      if (live()) this.onNotice(notice);
    });
    listen(EventName.JobUpdate, (payload) => {
      const update = this.validate(JobUpdateCheck, payload, EventName.JobUpdate);
      if (update) this.events.emit('update', update);
    });
    listen(EventName.JobExpired, (payload) => {
      const expired = this.validate(JobExpiredCheck, payload, EventName.JobExpired);
      if (expired) this.events.emit('expired', expired);
    });
    socket.connect();
  }

  private validate<T>(check: WireCheck<T>, payload: unknown, event: string): T | undefined {
    const result = parseWire(check, payload, event);
    if (result.ok) return result.value;
    this.events.emit('error', JobClientError.fromProtocol(result.error));
    return undefined;
  }

  private describeConnectError(error: Error, url: string): { trigger: RetryTrigger; reported: JobClientError } {
    // socket.io sets `data` on refusals sent by the server; transport failures have none.
    if (!('data' in error)) {
      // An HTTP 403 on the transport is a refusal. The per-IP cap's (Engine.IO refusing the handshake while the IP's
      // previous transport is being refused) frees up as connections close: back off. Any other reason is final, like a
      // handshake `FORBIDDEN`: stop retrying.
      const refusal = transportRefusal(error);
      if (refusal === TOO_MANY_CONNECTIONS_MESSAGE) {
        return { trigger: 'TOO_MANY_CONNECTIONS', reported: new JobClientError('TOO_MANY_CONNECTIONS', `${url} refused the connection: ${refusal}`, { cause: error }) };
      }
      if (refusal !== undefined) return { trigger: 'FORBIDDEN', reported: new JobClientError('FORBIDDEN', `${url} refused the connection: ${refusal}`, { cause: error }) };
      return {
        trigger: 'TRANSPORT_ERROR',
        reported: new JobClientError('TRANSPORT_ERROR', `could not connect to ${url}: ${error.message}${crossOriginHint(error, url)}`, { cause: error }),
      };
    }
    const parsed = parseWire(ProtocolErrorCheck, error.data);
    if (parsed.ok) {
      // PROTOCOL.md: retry UNAUTHORIZED only with a new credential. A token string is sent again as it is; an auth
      // function gives a new one, and without `auth` the credential may be a cookie the page refreshes.
      const fixedAuth = parsed.value.code === 'UNAUTHORIZED' && typeof this.options.auth === 'string';
      return { trigger: fixedAuth ? 'UNAUTHORIZED:fixed-auth' : parsed.value.code, reported: JobClientError.fromProtocol(parsed.value) };
    }
    return {
      trigger: 'INTERNAL',
      reported: new JobClientError('INVALID_PAYLOAD', `connect_error: the server refused with an invalid error: ${error.message}`, { cause: error }),
    };
  }

  private onNotice(notice: TimeoutNotice): void {
    const trigger: RetryTrigger = `notice:${notice.reason}`;
    const { action } = retryRuleFor(trigger);
    // `idle` reconnects only for a job still wanted, as after any lost connection.
    const reason: ReconnectReason = notice.reason === 'idle' ? 'connection-lost' : notice.reason;
    if (action === 'immediately' || action === 'stay-disconnected') {
      // Leave now rather than wait out the grace period: nothing is gained by lingering.
      const current = this.abandonSocket();
      this.events.emit('lost');
      if (current === this.generation) this.retry(trigger, reason, undefined, notice.retryAfterMs);
      return;
    }
    this.pendingNotice = { trigger, reason, retryAfterMs: notice.retryAfterMs };
  }

  private onHeartbeatMissed(): void {
    if (!this.open) return;
    const current = this.abandonSocket();
    this.events.emit('lost');
    const error = new JobClientError('TIMEOUT', 'no heartbeat from the server in time; reconnecting');
    this.events.emit('error', error);
    if (current === this.generation) this.retry('TIMEOUT', 'heartbeat-timeout', error, undefined);
  }

  /** Applies the retry table: schedule the next attempt, or stop. */
  private retry(trigger: RetryTrigger, reason: ReconnectReason, error: JobClientError | undefined, retryAfterMs: number | undefined): void {
    // Every failed attempt ends here (or in close()): its deadline goes with it.
    this.clearDeadline();
    const rule = retryRuleFor(trigger);
    // An `idle` notice can cross a subscribe the server had not seen yet: a job still wanted needs the connection, now.
    let action = rule.action === 'stay-disconnected' && this.wanted() ? 'immediately' : rule.action;
    // A failed attempt is never retried at once, whatever code a server refused it with (`UNSUBSCRIBED` answers a
    // request, not a handshake): a server that keeps refusing must not get a hot loop of handshakes.
    if (action === 'immediately' && reason === 'connect-failed') action = 'backoff';
    if (action === 'give-up') {
      this.setState(error ? { status: 'disconnected', reason: 'gave-up', error } : { status: 'disconnected', reason: 'gave-up' });
      return;
    }
    if (action === 'stay-disconnected') {
      this.setState({ status: 'disconnected', reason: 'idle' });
      return;
    }
    this.failures += 1;
    let delayMs = retryDelayMs(action, { attempt: this.failures, retryAfterMs, backoff: this.options.reconnect, random: this.options.random }) ?? 0;
    if (action === 'immediately') {
      // At once, unless the last immediate reconnect was less than `minDelayMs` ago: a server that ends every session
      // as it starts (a `session-expired` notice on each connect) gets at most one reconnect per `minDelayMs`.
      const now = Date.now();
      if (now - this.lastImmediateAt < this.options.reconnect.minDelayMs) delayMs = this.options.reconnect.minDelayMs;
      this.lastImmediateAt = now + delayMs;
    }
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    this.clearRetryTimer();
    // Armed before the `reconnecting` listeners run, so a `close()` in one of them cancels it.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt();
    }, delayMs);
    this.setState(
      error
        ? { status: 'reconnecting', attempt: this.failures, delayMs, reason, error }
        : { status: 'reconnecting', attempt: this.failures, delayMs, reason },
    );
  }

  /** Gives up the current socket (and its late callbacks); returns the new generation, to tell afterwards whether a listener closed the client. */
  private abandonSocket(): number {
    const generation = ++this.generation;
    this.dropSocket();
    return generation;
  }

  private dropSocket(): void {
    this.watchdog.stop();
    this.open = false;
    // A notice only describes the socket it came on.
    this.pendingNotice = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.close();
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.events.emit('state', state);
  }
}
