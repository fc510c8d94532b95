import type { JobIoServer } from '../job-server-api';
import type { JobSocket } from './connection-registry';
import { shuttingDownRefusal } from './handshake';

/** A Socket.IO middleware of the main namespace. */
export type HandshakeMiddleware = (socket: JobSocket, next: (error?: Error) => void) => void;

/** Per application Socket.IO server: how many job servers are attached to it, and the `retryAfterMs` of a refusal once none is. */
interface SharedIoState {
  attached: number;
  retryAfterMs: () => number;
}

const states = new WeakMap<JobIoServer, SharedIoState>();

/** The main namespace's middlewares, in order (Socket.IO's `_fns`, private in its types); `undefined` if it has none such. */
function middlewaresOf(io: JobIoServer): HandshakeMiddleware[] | undefined {
  const fns = (io.of('/') as unknown as { _fns?: unknown })._fns;
  return Array.isArray(fns) ? (fns as HandshakeMiddleware[]) : undefined;
}

/**
 * Puts a job server's handshake middleware on an application's Socket.IO server, and returns what takes it off again.
 * Once no job server is attached any more, the io refuses handshakes to its main namespace (`SHUTTING_DOWN`) through
 * one middleware of its own, put there by the first job server: a job server closed and created again on the same io,
 * any number of times, leaves that one middleware and nothing of itself, and a later job server is not refused by an
 * earlier one. `retryAfterMs` is that of the job server attached last.
 */
export function useOnSharedIo(io: JobIoServer, middleware: HandshakeMiddleware, retryAfterMs: () => number): () => void {
  let state = states.get(io);
  if (!state) {
    const created: SharedIoState = { attached: 0, retryAfterMs };
    io.use((_socket, next) => {
      if (created.attached > 0) next();
      else next(shuttingDownRefusal(created.retryAfterMs()));
    });
    states.set(io, created);
    state = created;
  }
  const shared = state;
  shared.attached += 1;
  shared.retryAfterMs = retryAfterMs;
  io.use(middleware);
  let detached = false;
  return () => {
    if (detached) return;
    detached = true;
    shared.attached -= 1;
    const middlewares = middlewaresOf(io);
    const at = middlewares?.indexOf(middleware) ?? -1;
    if (at >= 0) middlewares!.splice(at, 1);
  };
}
