import type { Server as HttpServer } from 'node:http';

type Listener = (...args: unknown[]) => void;

// What engine.io's `attach` (and Socket.IO's client-file serving) touch on the HTTP server: they take every
// `request` listener off and call them from a wrapper of their own, and add `upgrade`, `close` and `listening` listeners.
const ATTACH_EVENTS = ['request', 'upgrade', 'close', 'listening'] as const;

// Per HTTP server: `request` wrappers whose attachment detached while a later attachment still had them
// wrapped, each mapped to the listeners it wrapped, so that the later one puts those back instead.
const retiredWrappers = new WeakMap<HttpServer, Map<Listener, Listener[]>>();

/** `listeners` with every retired wrapper replaced by what it wrapped (and forgotten). */
function unwrapRetired(httpServer: HttpServer, listeners: Listener[]): Listener[] {
  const retired = retiredWrappers.get(httpServer);
  return listeners.flatMap((listener) => {
    const wrapped = retired?.get(listener);
    if (!wrapped) return [listener];
    retired?.delete(listener);
    return unwrapRetired(httpServer, wrapped);
  });
}

/**
 * Runs `attach` (e.g. `new Server(httpServer)`) and returns a function that undoes what it did to the
 * application's HTTP server: removes the listeners it added and puts back the `request` listeners it
 * wrapped, in their order, so that the server answers as before and can be attached to again. When a later
 * attachment wrapped ours in turn, ours stays inside that one (only our other listeners go), and that one
 * puts back the application's listeners when it detaches.
 */
export function attachReversibly<T>(httpServer: HttpServer, attach: () => T): { attached: T; detach: () => void } {
  const listeners = (event: string): Listener[] => httpServer.rawListeners(event) as Listener[];
  const before = new Map(ATTACH_EVENTS.map((event) => [event, listeners(event)]));
  const attached = attach();
  const added = new Map(ATTACH_EVENTS.map((event) => [event, listeners(event).filter((listener) => !before.get(event)?.includes(listener))]));
  const detach = (): void => {
    const ourRequestListeners = added.get('request') ?? [];
    const inFront = ourRequestListeners.every((listener) => listeners('request').includes(listener));
    for (const [event, ours] of added) for (const listener of ours) httpServer.removeListener(event, listener);
    const wrapped = (before.get('request') ?? []).filter((listener) => !listeners('request').includes(listener));
    if (!inFront) {
      // Putting ours back in front would run the application's listeners before the later wrapper (and again inside it).
      let retired = retiredWrappers.get(httpServer);
      if (!retired) {
        retired = new Map();
        retiredWrappers.set(httpServer, retired);
      }
      for (const listener of ourRequestListeners) retired.set(listener, wrapped);
      return;
    }
    if (wrapped.length === 0) return;
    // Back in front of any `request` listener the application added after the attach, as they were.
    const later = listeners('request');
    httpServer.removeAllListeners('request');
    for (const listener of [...unwrapRetired(httpServer, wrapped), ...later]) httpServer.on('request', listener);
  };
  return { attached, detach };
}
