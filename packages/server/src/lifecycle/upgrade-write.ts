import type { IncomingMessage } from 'node:http';

/** How Engine.IO's `allowRequest` option answers a handshake request. */
type AllowRequestCallback = (error: string | null | undefined, allowed: boolean) => void;

/**
 * Allows a handshake request so that, for a WebSocket upgrade, ws's `101 Switching Protocols` and Engine.IO's open
 * packet leave in one write to the TCP socket rather than one system call each (aimed at `pnpm bench`'s CPU per
 * handshake, where it saves less than the figure moves between runs). ws writes the 101 as the request is allowed,
 * and Engine.IO the open packet in the microtask after it (once its id generator answered): the socket stays corked
 * until a microtask queued behind that one. An id generator that takes longer only gets the open packet written on
 * its own, as before. ws's own refusals past this point `end` the socket, which writes what is corked first.
 * Engine.IO's (its handshake failing after the 101) destroy it, which drops the 101 too: a client could not have read
 * that refusal after a 101 anyway.
 */
export function allowInOneWrite(request: IncomingMessage, callback: AllowRequestCallback): void {
  if (request.headers.upgrade === undefined) {
    callback(null, true);
    return;
  }
  const { socket } = request;
  socket.cork();
  try {
    callback(null, true);
  } finally {
    queueMicrotask(() => socket.uncork());
  }
}
