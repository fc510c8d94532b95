import { ErrorCode, protocolError, type ErrorAck, type ProtocolError } from '@org/ws-protocol';
import type { ConnectionRecord, JobSocket } from './connection-registry';
import type { TokenBucketLimiter } from './rate-limit';
import type { JobServerCounters } from '../stats';

/** A request's reply. */
type RequestReply = { ok: boolean; error?: ProtocolError };

/** A request handler: takes the untrusted payload, returns the reply to ack (or a promise of it, when it has to wait). */
export type RequestHandler = (record: ConnectionRecord, payload: unknown) => RequestReply | Promise<RequestReply>;

/** What the inbound event gate needs from the server. */
export interface ClientEventDeps {
  now: () => number;
  limiter: TokenBucketLimiter;
  abuseStrikes: number;
  counters: JobServerCounters;
  handlers: Readonly<Record<string, RequestHandler>>;
  /** The client kept flooding after being refused `abuseStrikes` times in a row. */
  onAbuse: (record: ConnectionRecord) => void;
  onError: (error: unknown, context: string) => void;
  /** The connection a socket carries, while it is registered. */
  recordOf: (socket: JobSocket) => ConnectionRecord | undefined;
  /** Socket.IO reported an error on the connection's socket: a frame it could not decode (it then closes the transport). */
  onSocketError: (record: ConnectionRecord, error: Error) => void;
}

/** Socket.IO's step from a decoded event (its name, arguments and ack callback) to middlewares and listeners; private in its types. */
type Dispatch = (this: JobSocket, packet: unknown[]) => void;
/** Socket.IO's step from an error of the connection (an undecodable frame) to the socket's `error` listeners; private in its types. */
type ReportError = (this: JobSocket, error: Error) => void;

function reply(ack: ((response: unknown) => void) | undefined, response: unknown): void {
  // Acking a socket that is already gone is a no-op in Socket.IO; a throw here would only come from a patched socket.
  try {
    ack?.(response);
  } catch {
    // nothing to tell: the client is gone
  }
}

function replyAnswer(deps: ClientEventDeps, ack: (response: unknown) => void, response: RequestReply): void {
  if (response.error?.code === ErrorCode.INVALID_PAYLOAD) deps.counters.invalidPayloads += 1;
  reply(ack, response);
}

function replyFailure(deps: ClientEventDeps, ack: (response: unknown) => void, event: unknown, error: unknown): void {
  deps.onError(error, String(event));
  reply(ack, { ok: false, error: protocolError(ErrorCode.INTERNAL, 'the server failed to handle this request') });
}

/**
 * Gates every inbound event of a connection (PROTOCOL.md §3): rate limit first, whatever the event, then dispatch to
 * the protocol's request handlers. Unknown events and requests without an ack callback are counted and dropped; a
 * request with more than its one payload argument is answered `INVALID_PAYLOAD`. Nothing here throws. (Socket.IO's
 * reserved names never get here: its parser refuses such a packet as undecodable.) One gate serves every connection:
 * it takes the place of the socket's `dispatch` and finds the connection from the socket it is called on, so that a
 * connection costs no closure (nor middleware array) for it. Likewise it takes the place of the socket's `_onerror`, to
 * see an undecodable frame before the socket's `error` listeners do, without a listener of its own per socket.
 */
export class ClientEventGate {
  readonly #deps: ClientEventDeps;
  readonly #dispatch: Dispatch;
  // Socket.IO's own dispatch (application middlewares, then listeners), for events the gate lets through.
  #passThrough: Dispatch | undefined;
  readonly #reportError: ReportError;
  // Socket.IO's own error step (the socket's `error` listeners), called after the gate saw the error.
  #reportThrough: ReportError | undefined;

  constructor(deps: ClientEventDeps) {
    this.#deps = deps;
    const gate = this;
    this.#dispatch = function (packet) {
      const record = deps.recordOf(this);
      if (record?.socket === this && gate.#admit(record, packet)) gate.#passThrough?.call(this, packet);
    };
    this.#reportError = function (error) {
      const record = deps.recordOf(this);
      if (record?.socket === this) deps.onSocketError(record, error);
      gate.#reportThrough?.call(this, error);
    };
  }

  /** Gates the inbound events of a new connection. */
  attach(record: ConnectionRecord): void {
    // Both replace methods of Socket.IO's prototype with own properties that share the socket's one spare property slot.
    const socket = record.socket as unknown as { dispatch: Dispatch; _onerror: ReportError };
    this.#passThrough ??= socket.dispatch;
    socket.dispatch = this.#dispatch;
    this.#reportThrough ??= socket._onerror;
    socket._onerror = this.#reportError;
  }

  /** Handles `packet` (event name, arguments, then its ack callback if any); true when it is for the application's listeners. */
  #admit(record: ConnectionRecord, packet: unknown[]): boolean {
    const deps = this.#deps;
    // Read by index rather than destructured with a rest element: this runs for every inbound event.
    const event = packet[0];
    const last = packet.length > 1 ? packet[packet.length - 1] : undefined;
    const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
    const argumentCount = packet.length - (ack ? 2 : 1);

    const decision = deps.limiter.take(record, deps.now());
    if (!decision.allowed) {
      deps.counters.rateLimited += 1;
      const refused: ErrorAck = { ok: false, error: protocolError(ErrorCode.RATE_LIMITED, 'too many events; slow down', decision.retryAfterMs) };
      reply(ack, refused);
      if (decision.strikes >= deps.abuseStrikes) deps.onAbuse(record);
      return false;
    }

    // Own keys only: an event named `constructor` or `__proto__` must not reach Object.prototype.
    const handler = typeof event === 'string' && Object.hasOwn(deps.handlers, event) ? deps.handlers[event] : undefined;
    if (!handler) {
      deps.counters.unknownEvents += 1;
      // Socket.IO reports undecodable packets as the socket's `error` event: a client must not be able to
      // raise it. Anything else is left to any listener the application attached to a server it shares with us.
      return event !== 'error';
    }
    if (!ack) {
      deps.counters.missingAcks += 1;
      return false;
    }
    record.lastActivityAt = deps.now();
    if (argumentCount > 1) {
      deps.counters.invalidPayloads += 1;
      reply(ack, { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, `${event}: takes one payload argument before its acknowledgement, got ${argumentCount}`) });
      return false;
    }
    let response: RequestReply | Promise<RequestReply>;
    try {
      response = handler(record, argumentCount === 1 ? packet[1] : undefined);
    } catch (error) {
      replyFailure(deps, ack, event, error);
      return false;
    }
    // A reply known at once is acked at once: no promise, no microtask.
    if (response instanceof Promise) response.then((answer) => replyAnswer(deps, ack, answer), (error: unknown) => replyFailure(deps, ack, event, error));
    else replyAnswer(deps, ack, response);
    return false;
  }
}
