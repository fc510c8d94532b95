import type { Server as HttpServer } from 'node:http';

type Listener = (...args: unknown[]) => void;

// What engine.io's `attach` (and Socket.IO's client-file serving) touch on the HTTP server: they take every
// `request` listener off and call them from a wrapper of their own, and add `upgrade`, `close` and `listening` listeners.
const ATTACH_EVENTS = ['request', 'upgrade', 'close', 'listening'] as const;

/**
 * Runs `attach` (e.g. `new Server(httpServer)`) and returns a function that undoes what it did to the
 * application's HTTP server: removes the listeners it added and puts back the `request` listeners it
 * wrapped, in their order, so that the server answers as before and can be attached to again.
 */
export function attachReversibly<T>(httpServer: HttpServer, attach: () => T): { attached: T; detach: () => void } {
  const listeners = (event: string): Listener[] => httpServer.rawListeners(event) as Listener[];
  const before = new Map(ATTACH_EVENTS.map((event) => [event, listeners(event)]));
  const attached = attach();
  const added = new Map(ATTACH_EVENTS.map((event) => [event, listeners(event).filter((listener) => !before.get(event)?.includes(listener))]));
  const detach = (): void => {
    for (const [event, ours] of added) for (const listener of ours) httpServer.removeListener(event, listener);
    const wrapped = (before.get('request') ?? []).filter((listener) => !listeners('request').includes(listener));
    if (wrapped.length === 0) return;
    // Back in front of any `request` listener the application added after the attach, as they were.
    const later = listeners('request');
    httpServer.removeAllListeners('request');
    for (const listener of [...wrapped, ...later]) httpServer.on('request', listener);
  };
  return { attached, detach };
}
