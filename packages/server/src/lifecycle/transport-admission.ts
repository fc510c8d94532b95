import type { IncomingMessage } from 'node:http';
import { ErrorCode, protocolError, type ProtocolError } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import type { ConnectionCounter } from './connection-counter';
import type { JobSocket } from './connection-registry';
import { HandshakeDeadlines } from './handshake-deadlines';
import { clientIp } from './ip-limit';

/** An Engine.IO connection (one transport, before or after its Socket.IO handshake). */
export type Transport = JobSocket['conn'];

/** Whether a transport holds an IP slot: `admitted`; `refused` (no slot, and its refusal was already sent and counted); `full` (no slot). */
export type TransportAdmissionResult = 'admitted' | 'refused' | 'full';

/** What the transport admission needs from the server. */
export interface TransportAdmissionDeps {
  now: () => number;
  ipLimit: ConnectionCounter;
  /** Trusted proxy hops in front of the server (0: the socket address is the client). */
  trustProxy: number;
  /** How long a transport of a guarded engine may carry no connection before it is closed. */
  handshakeTimeoutMs: number;
  /** A transport was refused (counted and logged by the caller). */
  onRefused: (error: ProtocolError, ip: string) => void;
  /** The counter failed to answer (the transport then gets no slot). */
  onError: (error: unknown) => void;
}

/** One open transport: its client IP, whether it holds an IP slot, and whether a handshake or connection uses it. */
interface TransportState {
  readonly ip: string;
  /** Resolves whether the transport got an IP slot. */
  readonly slotted: Promise<boolean>;
  slot: boolean;
  refused: boolean;
  claimed: boolean;
  closed: boolean;
  readonly onClose: () => void;
}

/** Socket.IO packet type of a refused namespace connection (`socket.io-parser`'s `PacketType.CONNECT_ERROR`). */
const CONNECT_ERROR = 4;
const TOO_MANY = 'too many connections from this address';

/**
 * Admission before state. Every Engine.IO connection (transport) takes one per-IP slot and gives it back when it closes,
 * whether or not it completes the Socket.IO handshake, so raw connections count against `limits.maxConnectionsPerIp`.
 * On an engine the job server created (`guard`), a transport is admitted as it opens: past the cap it gets the Socket.IO
 * refusal (`TOO_MANY_CONNECTIONS`) written at once and is closed, and while one transport of an IP is being refused
 * that way, further handshake requests from the IP are refused by Engine.IO before any state exists; a transport
 * that carries no connection for `handshakeTimeoutMs` is closed. On an application's engine, a transport is admitted
 * at its first Socket.IO handshake. One transport carries at most one connection of the job server at a time.
 */
export class TransportAdmission {
  readonly #deps: TransportAdmissionDeps;
  readonly #transports = new Map<Transport, TransportState>();
  /** Per IP, the transport whose refusal is being written (at most one). */
  readonly #refusing = new Map<string, Transport>();
  readonly #deadlines: HandshakeDeadlines<Transport>;
  #claimed = 0;
  #onTransport: ((transport: Transport) => void) | undefined;

  constructor(deps: TransportAdmissionDeps) {
    this.#deps = deps;
    this.#deadlines = new HandshakeDeadlines(deps.now, deps.handshakeTimeoutMs);
  }

  /** Open transports that carry no connection and no handshake in progress: waiting for a Socket.IO handshake, or being refused. */
  get pendingCount(): number {
    return this.#transports.size - this.#claimed;
  }

  /** Whether the handshake deadline timer is armed (only while a transport of a guarded engine waits). */
  get timerArmed(): boolean {
    return this.#deadlines.timerArmed;
  }

  /** Guards the Engine.IO server the job server created: refuse early in `allowRequest`, admit each transport as it opens. */
  guard(io: JobIoServer): void {
    const { engine } = io;
    const allowNext = engine.opts.allowRequest;
    engine.opts.allowRequest = (request, callback) => {
      if (!this.#allows(request)) {
        callback(TOO_MANY, false);
        return;
      }
      if (allowNext) allowNext(request, callback);
      else callback(null, true);
    };
    this.#onTransport = (transport) => {
      const state = this.#track(transport);
      this.#deadlines.start(transport);
      void state.slotted.then((slot) => {
        if (!slot && !state.closed) this.#refuse(io, transport, state);
      });
    };
    engine.on('connection', this.#onTransport);
  }

  /** Stops admitting transports of `io` and forgets every tracked one, giving its slot back (closing them is Socket.IO's). */
  release(io: JobIoServer): void {
    if (this.#onTransport) io.engine.off('connection', this.#onTransport);
    for (const [transport, state] of this.#transports) {
      transport.off('close', state.onClose);
      this.#forget(transport, state);
    }
  }

  /** Whether the transport holds an IP slot; a transport of an application's engine takes one now. */
  async admit(transport: Transport): Promise<TransportAdmissionResult> {
    const state = this.#transports.get(transport) ?? this.#track(transport);
    // Resumes after the guard's own callback (registered first), which may have refused the transport.
    const slot = await state.slotted;
    return slot ? 'admitted' : state.refused ? 'refused' : 'full';
  }

  /** Marks the transport as carrying a handshake or a connection; false when it already does. */
  claim(transport: Transport): boolean {
    const state = this.#transports.get(transport);
    if (!state || state.claimed) return false;
    state.claimed = true;
    this.#claimed += 1;
    this.#deadlines.stop(transport);
    return true;
  }

  /** The handshake on the transport was refused, or its connection ended: it may carry a new one (within the handshake deadline). */
  unclaim(transport: Transport): void {
    const state = this.#transports.get(transport);
    if (!state?.claimed) return;
    state.claimed = false;
    this.#claimed -= 1;
    if (this.#onTransport) this.#deadlines.start(transport);
  }

  #allows(request: IncomingMessage): boolean {
    const ip = clientIp({ address: request.socket.remoteAddress ?? '', headers: request.headers }, this.#deps.trustProxy);
    if (!this.#refusing.has(ip)) return true;
    this.#deps.onRefused(protocolError(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY), ip);
    return false;
  }

  #track(transport: Transport): TransportState {
    const { ipLimit, trustProxy, onError } = this.#deps;
    const ip = clientIp({ address: transport.remoteAddress, headers: transport.request.headers }, trustProxy);
    const slotted = Promise.resolve()
      .then(() => ipLimit.acquire(ip))
      .then(
        (slot) => {
          // A transport that closed (or was forgotten) while the counter answered gives the slot straight back.
          if (slot && state.closed) ipLimit.release(ip);
          else state.slot = slot;
          return slot && !state.closed;
        },
        (error: unknown) => {
          onError(error);
          return false;
        },
      );
    const state: TransportState = { ip, slotted, slot: false, refused: false, claimed: false, closed: false, onClose: () => this.#forget(transport, state) };
    this.#transports.set(transport, state);
    transport.once('close', state.onClose);
    return state;
  }

  /**
   * Writes the Socket.IO refusal and closes the transport once Engine.IO sent it (right after its open packet over
   * WebSocket, with the next poll over long-polling); at once, without the refusal, when another transport of the IP
   * is being refused.
   */
  #refuse(io: JobIoServer, transport: Transport, state: TransportState): void {
    const error = protocolError(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY);
    state.refused = true;
    this.#deps.onRefused(error, state.ip);
    if (this.#refusing.has(state.ip)) {
      transport.close(true);
      return;
    }
    this.#refusing.set(state.ip, transport);
    // Discarding (not a graceful close): a long-polling transport closed gracefully waits for a poll it may never get.
    transport.once('drain', () => transport.close(true));
    // A Socket.IO client reads it as the answer to the CONNECT it sends on open.
    for (const packet of io.encoder.encode({ type: CONNECT_ERROR, nsp: '/', data: { message: error.message, data: error } })) transport.write(packet);
  }

  #forget(transport: Transport, state: TransportState): void {
    if (state.closed) return;
    state.closed = true;
    this.#transports.delete(transport);
    this.#deadlines.stop(transport);
    if (state.claimed) this.#claimed -= 1;
    if (state.slot) this.#deps.ipLimit.release(state.ip);
    if (this.#refusing.get(state.ip) === transport) this.#refusing.delete(state.ip);
  }
}
