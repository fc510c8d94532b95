import {
  ErrorCode,
  HandshakeAuthCheck,
  HandshakeAuthSchema,
  PROTOCOL_VERSION,
  parseChecked,
  protocolError,
  TOO_MANY_CONNECTIONS_MESSAGE,
  type HandshakeAuth,
  type ProtocolError,
} from '@org/ws-protocol';
import { ConnectionRefusedError } from '../errors';
import { originRefusal, type OriginPolicy } from './origin-policy';
import type { JobSocket } from './connection-registry';
import { sendAdmissionInOneWrite } from './admission-write';
import { clientIp } from './ip-limit';
import type { TransportAdmission, TransportAdmissionResult } from './transport-admission';
import type { AuthenticateHook } from '../options';

/** What a handshake that passed left for the `connection` handler. */
export interface Admission {
  ip: string;
  principal: unknown;
}

/** What the handshake middleware needs from the server. */
export interface HandshakeDeps {
  accepting: () => boolean;
  /** The `retryAfterMs` of the next `SHUTTING_DOWN` refusal (spread like the `shutdown` notices). */
  shuttingDownRetryAfterMs: () => number;
  /** While the server sheds load, the `retryAfterMs` of an `OVERLOADED` refusal; otherwise `undefined`. */
  overloadedRetryAfterMs: () => number | undefined;
  /** Per-IP slots of the transports, and which transport carries a connection. */
  transports: TransportAdmission;
  /** Trusted proxy hops in front of the server (0: the socket address is the client). */
  trustProxy: number;
  authenticate: AuthenticateHook | undefined;
  /** The `cors` option's origins, when given. */
  origins: OriginPolicy | undefined;
  admissions: WeakMap<JobSocket, Admission>;
  onRefused: (error: ProtocolError, ip: string) => void;
  onHookError: (error: unknown) => void;
}

const refuse = (code: ErrorCode, message: string, retryAfterMs?: number): ConnectionRefusedError =>
  new ConnectionRefusedError(protocolError(code, message, retryAfterMs));
/** The answer to a handshake on a transport refused as it opened. */
const alreadyRefused = refuse(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY_CONNECTIONS_MESSAGE);
/** Longest part of a client's version string quoted back in a refusal. */
const QUOTED_VERSION_CHARS = 32;

/**
 * The `protocolVersion` a client sent, as a refusal quotes it: a primitive as JSON (a long string cut short), an object
 * or array only by its kind. Never serialised whole: it is the client's, as deep or as long as a packet allows.
 */
function describeVersion(version: unknown): string {
  if (version === undefined) return 'none';
  if (typeof version === 'string') return JSON.stringify(version.length > QUOTED_VERSION_CHARS ? `${version.slice(0, QUOTED_VERSION_CHARS)}…` : version);
  if (version === null || typeof version === 'number' || typeof version === 'boolean') return String(version);
  return Array.isArray(version) ? 'an array' : `an ${typeof version}`;
}

/** The answer to a handshake while the server shuts down (or, on an application's io, once no job server is attached). */
export const shuttingDownRefusal = (retryAfterMs: number): ConnectionRefusedError => refuse(ErrorCode.SHUTTING_DOWN, 'the server is shutting down', retryAfterMs);

const shuttingDown = (deps: HandshakeDeps): ConnectionRefusedError => shuttingDownRefusal(deps.shuttingDownRetryAfterMs());

/**
 * Socket.IO middleware that admits a connection: page origin (`cors`), protocol version, handshake schema, the transport's per-IP slot
 * (one connection per transport), `authenticate`. A refusal reaches the client as `connect_error` whose `data` is a
 * `ProtocolError`. Without an `authenticate` hook and with a counter that answers at once, it admits synchronously (no
 * promise, no microtask per handshake); nothing in it throws.
 */
export function createHandshakeMiddleware(deps: HandshakeDeps) {
  return (socket: JobSocket, next: (error?: Error) => void): void => {
    new Handshake(deps, socket, next).start();
  };
}

/** One handshake, from the request's checks to `next()`. */
class Handshake {
  readonly #deps: HandshakeDeps;
  readonly #socket: JobSocket;
  readonly #next: (error?: Error) => void;
  readonly #ip: string;
  /** Whether this handshake claimed the transport (and so gives it back when refused). */
  #claimed = false;
  /** The handshake's `auth`, once it passed its schema. */
  #auth: HandshakeAuth | undefined;

  constructor(deps: HandshakeDeps, socket: JobSocket, next: (error?: Error) => void) {
    this.#deps = deps;
    this.#socket = socket;
    this.#next = next;
    this.#ip = clientIp(socket.handshake, deps.trustProxy);
  }

  start(): void {
    let refusal: ConnectionRefusedError | undefined;
    let transport: TransportAdmissionResult | Promise<TransportAdmissionResult> | undefined;
    try {
      refusal = this.#requestRefusal();
      if (!refusal) transport = this.#deps.transports.admit(this.#socket.conn);
    } catch (error) {
      this.#onError(error);
      return;
    }
    // Outside the try: what `next` runs (the `connection` listeners) is not this handshake's failure.
    if (refusal) this.#fail(refusal);
    else if (typeof transport === 'string') this.#onTransport(transport);
    else transport?.then((result) => this.#onTransport(result), (error: unknown) => this.#onError(error));
  }

  /** What refuses the request itself, before any slot is taken: the server's phase and load, the page's origin, the auth. */
  #requestRefusal(): ConnectionRefusedError | undefined {
    const deps = this.#deps;
    const { handshake } = this.#socket;
    if (!deps.accepting()) return shuttingDown(deps);
    // Polling from a refused page never gets here (its requests are refused with a 403); a WebSocket does.
    const refusedOrigin = deps.origins?.refusedOrigin(handshake.headers);
    if (refusedOrigin !== undefined) return refuse(ErrorCode.FORBIDDEN, originRefusal(refusedOrigin));
    const overloadedRetryAfterMs = deps.overloadedRetryAfterMs();
    if (overloadedRetryAfterMs !== undefined) return refuse(ErrorCode.OVERLOADED, 'the server is overloaded', overloadedRetryAfterMs);
    const raw: unknown = handshake.auth;
    const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).protocolVersion : undefined;
    if (version !== PROTOCOL_VERSION) {
      return refuse(ErrorCode.UNSUPPORTED_PROTOCOL, `this server speaks protocol version ${PROTOCOL_VERSION}, the client sent ${describeVersion(version)}`);
    }
    const auth = parseChecked(HandshakeAuthCheck, HandshakeAuthSchema, raw, 'auth');
    if (!auth.ok) return new ConnectionRefusedError(auth.error);
    this.#auth = auth.value;
    return undefined;
  }

  #onTransport(transport: TransportAdmissionResult): void {
    const deps = this.#deps;
    // Refused as it opened (and counted then): this CONNECT raced with the refusal already on its way.
    if (transport === 'refused') return this.#fail(alreadyRefused, true);
    if (transport === 'full') return this.#fail(refuse(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY_CONNECTIONS_MESSAGE));
    // Socket.IO runs a second CONNECT that arrives while the first is being admitted: one slot, one connection.
    this.#claimed = deps.transports.claim(this.#socket.conn);
    if (!this.#claimed) return this.#fail(refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'this transport already carries a connection'));
    if (!deps.authenticate) return this.#admit(null);
    let principal: unknown;
    try {
      principal = deps.authenticate({ auth: this.#auth!, headers: this.#socket.handshake.headers, ip: this.#ip });
    } catch (error) {
      return this.#onError(error);
    }
    Promise.resolve(principal).then(
      (principal) => {
        if (principal === null || principal === undefined || principal === false) this.#fail(refuse(ErrorCode.UNAUTHORIZED, 'the handshake did not authenticate'));
        else this.#admit(principal);
      },
      (error: unknown) => this.#onError(error),
    );
  }

  #admit(principal: unknown): void {
    // Re-checked after the hook: the server may have begun closing.
    if (!this.#deps.accepting()) return this.#fail(shuttingDown(this.#deps));
    // When the transport closes before Socket.IO emits `connection`, Socket.IO drops the socket silently; the transport's
    // close gives its slot back.
    this.#deps.admissions.set(this.#socket, { ip: this.#ip, principal });
    this.#next();
    // After `next`, which queued Socket.IO's CONNECT: released behind it.
    sendAdmissionInOneWrite(this.#socket.conn);
  }

  #onError(error: unknown): void {
    this.#deps.onHookError(error);
    this.#fail(refuse(ErrorCode.INTERNAL, 'the server could not authenticate this connection'));
  }

  #fail(error: ConnectionRefusedError, counted = false): void {
    // The transport may carry another handshake now (never one this handshake did not claim).
    if (this.#claimed) this.#deps.transports.unclaim(this.#socket.conn);
    if (!counted) this.#deps.onRefused(error.data, this.#ip);
    this.#next(error);
  }
}
