import type { IncomingMessage } from 'node:http';
import { ErrorCode, protocolError, TOO_MANY_CONNECTIONS_MESSAGE, type ProtocolError } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import type { ConnectionCounter } from './connection-counter';
import type { JobSocket } from './connection-registry';
import { HandshakeDeadlines } from './handshake-deadlines';
import { clientIp } from './ip-limit';
import { allowInOneWrite } from './upgrade-write';

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
  /** The application's own `allowRequest` threw (the request is then refused). */
  onAllowRequestError: (error: unknown) => void;
}

/**
 * Where an open transport stands: its IP slot being asked for (`acquiring`); no slot (`full`), or none and its refusal
 * sent (`refused`); a slot, and no handshake or connection on it (`open`), or a handshake (`claimed`). A transport that
 * carries a registered connection is not tracked here at all: its connection's record holds its IP, and the
 * connection's release (`uncarry`) takes it back. A string, not an object per transport: its IP is derived again when
 * its slot goes back.
 */
type TransportState = 'acquiring' | 'full' | 'refused' | 'open' | 'claimed';

/** Whether a tracked transport in `state` holds an IP slot. */
function holdsSlot(state: TransportState | undefined): state is 'open' | 'claimed' {
  return state === 'open' || state === 'claimed';
}

/**
 * Takes `listener` off the transport's `close` event without leaving the event's listener array larger than one built
 * without it: Node keeps two listeners (Engine.IO's and Socket.IO's) in an array of two, grows it to room for about
 * twenty for a third, and does not shrink it when the third goes (measured by `pnpm bench`: memory per idle
 * connection). Down to one listener Node stores it alone, so the others, taken off and put back in order, get an
 * array of their own size.
 */
function removeCloseListener(transport: Transport, listener: (this: Transport) => void): void {
  transport.off('close', listener);
  const listeners = transport.rawListeners('close') as ((...args: unknown[]) => void)[];
  for (let i = 1; i < listeners.length; i += 1) transport.off('close', listeners[i]!);
  for (let i = 1; i < listeners.length; i += 1) transport.on('close', listeners[i]!);
}

/** Engine.IO's `allowRequest` hook, and how it answers. */
type AllowRequest = NonNullable<JobIoServer['engine']['opts']['allowRequest']>;
type AllowRequestCallback = Parameters<AllowRequest>[1];

/** Socket.IO packet type of a refused namespace connection (`socket.io-parser`'s `PacketType.CONNECT_ERROR`). */
const CONNECT_ERROR = 4;

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
  /** The client IP of each transport behind trusted proxies (otherwise it is the transport's address). */
  readonly #proxiedIps = new Map<Transport, string>();
  /** Per transport whose slot an asynchronous counter has not granted yet, whether it got one. */
  readonly #acquiring = new Map<Transport, Promise<boolean>>();
  /** Per IP, the transport whose refusal is being written (at most one). */
  readonly #refusing = new Map<string, Transport>();
  readonly #deadlines: HandshakeDeadlines<Transport>;
  // One listener for every transport (Engine.IO calls it with the transport as `this`), so that a transport costs no closure for it.
  readonly #onClose: (this: Transport) => void;
  #claimed = 0;
  #onTransport: ((transport: Transport) => void) | undefined;
  #released = false;

  constructor(deps: TransportAdmissionDeps) {
    this.#deps = deps;
    this.#deadlines = new HandshakeDeadlines(deps.now, deps.handshakeTimeoutMs);
    const admission = this;
    this.#onClose = function () {
      admission.#forget(this);
    };
  }

  /** Open transports that carry no connection and no handshake in progress: waiting for a Socket.IO handshake, or being refused. */
  get pendingCount(): number {
    return this.#transports.size - this.#claimed;
  }

  /** Whether the handshake deadline timer is armed (only while a transport of a guarded engine waits). */
  get timerArmed(): boolean {
    return this.#deadlines.timerArmed;
  }

  /**
   * Guards the Engine.IO server the job server created: every handshake request is asked about first (refused early while
   * its IP is being refused, then the application's own `allowRequest`; see `allowInOneWrite`), and each transport is
   * admitted as it opens.
   */
  guard(io: JobIoServer): void {
    const { engine } = io;
    const allowNext = engine.opts.allowRequest;
    engine.opts.allowRequest = (request, callback) => {
      if (!this.#allows(request)) callback(TOO_MANY_CONNECTIONS_MESSAGE, false);
      else if (allowNext) this.#askApplication(allowNext, request, callback);
      else allowInOneWrite(request, callback);
    };
    this.#onTransport = (transport) => {
      this.#deadlines.start(transport);
      const slot = this.#track(transport);
      if (slot === false) this.#refuse(io, transport);
      else if (slot !== true) {
        void slot.then((granted) => {
          if (!granted && this.#transports.has(transport)) this.#refuse(io, transport);
        });
      }
    };
    engine.on('connection', this.#onTransport);
  }

  /** Stops admitting transports of `io` and forgets every tracked one, giving its slot back (closing them is Socket.IO's). */
  release(io: JobIoServer): void {
    this.#released = true;
    if (this.#onTransport) io.engine.off('connection', this.#onTransport);
    for (const transport of this.#transports.keys()) this.#forget(transport);
  }

  /**
   * Whether the transport holds an IP slot; a transport of an application's engine takes one now. Answers at once unless
   * an asynchronous counter is still asked for the slot.
   */
  admit(transport: Transport): TransportAdmissionResult | Promise<TransportAdmissionResult> {
    if (!this.#transports.has(transport)) this.#track(transport);
    const acquiring = this.#acquiring.get(transport);
    // Resumes after the guard's own callback (registered first), which may have refused the transport.
    if (acquiring) return acquiring.then(() => this.#admission(transport));
    return this.#admission(transport);
  }

  /**
   * Marks the transport as carrying a handshake or a connection; false when it already does. Its handshake deadline
   * keeps running until the connection is registered (`carry`): it bounds `authenticate` too.
   */
  claim(transport: Transport): boolean {
    if (this.#transports.get(transport) !== 'open') return false;
    this.#transports.set(transport, 'claimed');
    this.#claimed += 1;
    return true;
  }

  /**
   * The claimed transport carries a registered connection from now on; false when it was not claimed. Until the
   * connection's release calls `uncarry` it is not tracked, and its close is not watched: Socket.IO reports it as the
   * connection's disconnect (one listener and one tracked entry fewer per connection).
   */
  carry(transport: Transport): boolean {
    if (this.#transports.get(transport) !== 'claimed') return false;
    this.#transports.delete(transport);
    this.#claimed -= 1;
    this.#deadlines.stop(transport);
    this.#proxiedIps.delete(transport);
    removeCloseListener(transport, this.#onClose);
    return true;
  }

  /** The handshake on the claimed transport was refused: it may carry a new one (within the handshake deadline). */
  unclaim(transport: Transport): void {
    if (this.#transports.get(transport) !== 'claimed') return;
    this.#transports.set(transport, 'open');
    this.#claimed -= 1;
    if (this.#onTransport) this.#deadlines.start(transport);
  }

  /**
   * The connection the transport carried (for client IP `ip`) ended: a transport that closed, which is what ended its
   * connection, gives its slot back at once; one still open may carry a new connection (within the handshake deadline).
   */
  uncarry(transport: Transport, ip: string): void {
    // Socket.IO reports the disconnect from the transport's own close event, which is too late to listen to again. After
    // `release` nothing will admit a connection on it again (Socket.IO lets one transport carry one connection to `/`:
    // Client.ondecoded closes the client on a second CONNECT for `/`, so a transport comes back only here, as its
    // connection ends), so it gives its slot back too, and is neither tracked nor given a handshake deadline.
    if (this.#released || transport.readyState === 'closed') {
      this.#deps.ipLimit.release(ip);
      return;
    }
    this.#transports.set(transport, 'open');
    transport.on('close', this.#onClose);
    if (ip !== transport.remoteAddress) this.#proxiedIps.set(transport, ip);
    if (this.#onTransport) this.#deadlines.start(transport);
  }

  /** Asks the application's `allowRequest` (a throw refuses the request, reported, instead of escaping into the HTTP server). */
  #askApplication(allowNext: AllowRequest, request: IncomingMessage, callback: AllowRequestCallback): void {
    let answered = false;
    try {
      allowNext(request, (error, allowed) => {
        if (answered) return;
        answered = true;
        // Allowed after the job server let go of the engine (it closed): nothing would admit, count or close the
        // connection Engine.IO would open for it.
        if (allowed && this.#released) callback('the job server is closed', false);
        else if (allowed) allowInOneWrite(request, callback);
        else callback(error, allowed);
      });
    } catch (error) {
      this.#deps.onAllowRequestError(error);
      if (answered) return;
      answered = true;
      callback('the server could not admit this request', false);
    }
  }

  #admission(transport: Transport): TransportAdmissionResult {
    const state = this.#transports.get(transport);
    if (holdsSlot(state)) return 'admitted';
    return state === 'refused' ? 'refused' : 'full';
  }

  #allows(request: IncomingMessage): boolean {
    // Nothing is being refused (the usual case): no address to derive.
    if (this.#refusing.size === 0) return true;
    const ip = clientIp({ address: request.socket.remoteAddress ?? '', headers: request.headers }, this.#deps.trustProxy);
    if (!this.#refusing.has(ip)) return true;
    this.#deps.onRefused(protocolError(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY_CONNECTIONS_MESSAGE), ip);
    return false;
  }

  #ipOf(transport: Transport): string {
    return this.#proxiedIps.get(transport) ?? transport.remoteAddress;
  }

  /** Starts tracking a transport and asks for its IP slot: whether it got one, or the answer of an asynchronous counter. */
  #track(transport: Transport): boolean | Promise<boolean> {
    const { ipLimit, onError } = this.#deps;
    this.#transports.set(transport, 'acquiring');
    transport.on('close', this.#onClose);
    const ip = clientIp({ address: transport.remoteAddress, headers: transport.request.headers }, this.#deps.trustProxy);
    if (ip !== transport.remoteAddress) this.#proxiedIps.set(transport, ip);
    let slot: boolean | Promise<boolean>;
    try {
      slot = ipLimit.acquire(ip);
    } catch (error) {
      onError(error);
      slot = false;
    }
    if (typeof slot === 'boolean') return this.#granted(transport, slot);
    const granted = slot.then(
      (answer) => this.#granted(transport, answer),
      (error: unknown) => {
        onError(error);
        return this.#granted(transport, false);
      },
    );
    this.#acquiring.set(transport, granted);
    return granted;
  }

  /** Records the counter's answer; a transport that closed (or was forgotten) meanwhile gives the slot straight back. */
  #granted(transport: Transport, slot: boolean): boolean {
    this.#acquiring.delete(transport);
    if (this.#transports.get(transport) !== 'acquiring') {
      if (slot) this.#deps.ipLimit.release(this.#ipOf(transport));
      this.#proxiedIps.delete(transport);
      return false;
    }
    this.#transports.set(transport, slot ? 'open' : 'full');
    return slot;
  }

  /**
   * Writes the Socket.IO refusal and closes the transport once Engine.IO sent it (right after its open packet over
   * WebSocket, with the next poll over long-polling); at once, without the refusal, when another transport of the IP
   * is being refused.
   */
  #refuse(io: JobIoServer, transport: Transport): void {
    const error = protocolError(ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY_CONNECTIONS_MESSAGE);
    const ip = this.#ipOf(transport);
    this.#transports.set(transport, 'refused');
    this.#deps.onRefused(error, ip);
    if (this.#refusing.has(ip)) {
      transport.close(true);
      return;
    }
    this.#refusing.set(ip, transport);
    // Discarding (not a graceful close): a long-polling transport closed gracefully waits for a poll it may never get.
    transport.once('drain', () => transport.close(true));
    // A Socket.IO client reads it as the answer to the CONNECT it sends on open.
    for (const packet of io.encoder.encode({ type: CONNECT_ERROR, nsp: '/', data: { message: error.message, data: error } })) transport.write(packet);
  }

  #forget(transport: Transport): void {
    const state = this.#transports.get(transport);
    if (state === undefined) return;
    transport.off('close', this.#onClose);
    this.#transports.delete(transport);
    this.#deadlines.stop(transport);
    if (state === 'claimed') this.#claimed -= 1;
    const ip = this.#ipOf(transport);
    // A slot still being asked for goes back when the counter answers (`#granted`), to the same IP.
    if (state !== 'acquiring') this.#proxiedIps.delete(transport);
    if (holdsSlot(state)) this.#deps.ipLimit.release(ip);
    if (this.#refusing.get(ip) === transport) this.#refusing.delete(ip);
  }
}
