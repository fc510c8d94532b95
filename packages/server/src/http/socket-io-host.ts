import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientToServerEvents, ServerToClientEvents } from '@org/ws-protocol';
import { Server } from 'socket.io';
import type { JobIoServer, ListenOptions } from '../job-server-api';
import { resolveListenOptions, type ResolvedJobServerOptions } from '../options';
import { attachReversibly } from './http-attachment';
import { endClosingConnections } from '../lifecycle/discard-connection';
import { OriginPolicy, type AllowedOrigin } from '../lifecycle/origin-policy';

/** How long after `limits.handshakeTimeoutMs` Socket.IO's own `connectTimeout` would close a transport the job server missed. */
const SOCKET_IO_FALLBACK_MS = 1000;

/**
 * Answers a request the job server's own HTTP server has no route for (Engine.IO hands it every path but its own): 404
 * at once, as Socket.IO's own server does, instead of leaving the request and its connection open.
 */
function answerNotFound(_request: IncomingMessage, response: ServerResponse): void {
  response.statusCode = 404;
  response.end();
}

/**
 * Owns where the job server's Socket.IO server lives: one it creates on its own HTTP server, one it attaches to the
 * application's HTTP server (and takes off again at close), or one the application gave it (left running at close).
 */
export class SocketIoHost {
  /** The Socket.IO server (created, or the one given in options). */
  readonly io: JobIoServer;
  readonly #httpServer: HttpServer | undefined;
  readonly #ownsIo: boolean;
  readonly #ownsHttp: boolean;
  readonly #attachment: { attached: JobIoServer; detach: () => void } | undefined;
  /**
   * Connections of the HTTP server the job server created that asked for an upgrade (WebSockets, mid-handshake, probing
   * an upgrade of a long-polling connection, or open), until each has closed; none on the application's.
   */
  readonly #upgraded = new Set<Duplex>();
  // One listener for every upgraded connection (called with the connection as `this`), so that it costs no closure.
  readonly #forgetUpgraded: (this: Duplex) => void;

  constructor(opts: Pick<ResolvedJobServerOptions, 'io' | 'httpServer' | 'socketIoOptions' | 'limits' | 'cors'>) {
    this.#ownsIo = opts.io === undefined;
    this.#ownsHttp = this.#ownsIo && opts.httpServer === undefined;
    const httpServer = opts.io ? undefined : (opts.httpServer ?? createServer(answerNotFound));
    this.#httpServer = httpServer;
    const upgraded = this.#upgraded;
    this.#forgetUpgraded = function () {
      upgraded.delete(this);
    };
    const { maxPayloadBytes, handshakeTimeoutMs } = opts.limits;
    // The job server closes a transport at its handshake deadline itself; Socket.IO's own bound is a fallback behind it.
    const connectTimeout = handshakeTimeoutMs + SOCKET_IO_FALLBACK_MS;
    const origins = opts.cors && new OriginPolicy(opts.cors);
    const origin = opts.cors?.origin;
    const cors = opts.cors && { ...opts.cors, origin: typeof origin === 'boolean' ? origin : ([] as AllowedOrigin[]).concat(origin ?? []) };
    const socketIoOptions = { ...opts.socketIoOptions, ...(cors && { cors }), maxHttpBufferSize: maxPayloadBytes, connectTimeout };
    const createIo = (): JobIoServer => {
      const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, socketIoOptions);
      if (origins) io.engine.use(origins.refusePolling);
      return io;
    };
    // On the application's HTTP server, Socket.IO's listeners must come off again at close (see `close`).
    this.#attachment = !opts.io && opts.httpServer ? attachReversibly(opts.httpServer, createIo) : undefined;
    this.io = opts.io ?? this.#attachment?.attached ?? createIo();
    // Tracked from the HTTP server, not from Engine.IO's events: those come only once a WebSocket carries an open
    // Engine.IO connection, and miss an upgrade still in its handshake or probing (which close() would wait for).
    if (this.#ownsHttp) httpServer?.on('upgrade', this.#trackUpgrade);
  }

  /** Whether the job server created the Socket.IO server (and so owns its Engine.IO server), rather than the application. */
  get ownsIo(): boolean {
    return this.#ownsIo;
  }

  /** Starts listening when there is an HTTP server that is not listening yet; resolves the port. */
  async listen(options: ListenOptions | undefined, running: boolean): Promise<number> {
    const { port, host } = resolveListenOptions(options);
    const httpServer = this.#httpServer;
    if (!httpServer) throw new Error('listen() needs an HTTP server: this job server was attached to an existing Socket.IO server');
    if (!running) throw new Error('listen() after close()');
    if (!httpServer.listening) {
      await new Promise<void>((resolve, reject) => {
        const settle = (error?: Error): void => {
          httpServer.off('error', settle);
          httpServer.off('close', closed);
          if (error) reject(error);
          else resolve();
        };
        // A `close()` before the port is bound: Node then never reports the bind.
        const closed = (): void => settle(new Error('listen() interrupted: the job server was closed before its port was bound'));
        httpServer.once('error', settle);
        httpServer.once('close', closed);
        httpServer.listen(port, host, () => settle());
      });
    }
    return (httpServer.address() as AddressInfo).port;
  }

  /** Runs `build` (the rest of the server's construction); when it throws, undoes what this host attached and rethrows. */
  abandonOnThrow<T>(build: () => T): T {
    try {
      return build();
    } catch (error) {
      this.#abandon();
      throw error;
    }
  }

  readonly #trackUpgrade = (_request: IncomingMessage, connection: Duplex): void => {
    this.#upgraded.add(connection);
    connection.on('close', this.#forgetUpgraded);
  };

  #abandon(): void {
    if (!this.#ownsIo) return;
    this.io.engine.close();
    this.#attachment?.detach();
  }

  /** Closes what the job server owns of Socket.IO, then runs `detachConnections` (alone when the application owns it). */
  async close(detachConnections: () => void): Promise<void> {
    const { io } = this;
    if (this.#ownsHttp) {
      // Socket.IO's close waits for every connection of the HTTP server to end, and a WebSocket client that does not
      // answer the close handshake (a stalled reader, a stalled upgrade probe) would hold that for 30 s. Close Engine.IO
      // first (its close frames and last packets are written at once), then end every upgraded connection. (HTTP
      // connections are ended too, once Engine.IO answered the pending polls: an idle keep-alive connection, a connection
      // that never sent a request or never finished one, would each hold the HTTP server's close for as long as the
      // peer keeps it open.)
      io.engine.close();
      endClosingConnections(io.engine);
      for (const connection of this.#upgraded) connection.destroy();
      this.#httpServer?.off('upgrade', this.#trackUpgrade);
      this.#httpServer?.closeAllConnections();
      await io.close();
    } else if (this.#ownsIo) {
      // Leave the application's HTTP server running: close only what Socket.IO added to it. A later job server on it
      // may keep our request wrapper inside its own (see `attachReversibly`): the closed engine must refuse handshakes.
      io.engine.opts.allowRequest = (_request, callback) => callback('the job server is closed', false);
      io.engine.close();
      endClosingConnections(io.engine);
      await io.of('/').adapter.close();
      // Otherwise engine.io would keep answering /socket.io/ on it, and a new job server could not attach.
      this.#attachment?.detach();
    }
    detachConnections();
  }
}
