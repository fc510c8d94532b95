import type { EngineConnection } from '../lifecycle/outbound-bytes';

/** Socket.IO's per-connection writer (`socket.client`): every packet for the connection, broadcast or not, goes through it. */
export interface EngineWriter {
  writeToEngine(this: EngineWriter, encodedPackets: unknown, options: unknown): void;
  /** The Socket.IO server the connection belongs to. */
  readonly server: object;
  /** The connection's socket in each namespace it joined. */
  readonly nsps: ReadonlyMap<string, { readonly id: string }>;
  /** The connection's Engine.IO socket. */
  readonly conn: EngineConnection;
}

/** Takes over a packet written to a connection of its server; returns true when it did (the packet is then not written). */
export type WriteInterceptor = (writer: EngineWriter, encodedPackets: unknown) => boolean;

type WriteToEngine = EngineWriter['writeToEngine'];

interface Hook {
  readonly server: object;
  readonly intercept: WriteInterceptor;
}

// Every Socket.IO server whose writes are watched, with what watches them: a handful at most (tests run several servers
// in one process), so a scan beats a hash lookup.
const hooks: Hook[] = [];
// Per writer prototype (one per copy of socket.io in the process), Socket.IO's own method and the one put in its place.
const patches = new Map<object, { readonly original: WriteToEngine; readonly patched: WriteToEngine }>();

function patch(prototype: { writeToEngine: WriteToEngine }): void {
  const original = prototype.writeToEngine;
  const patched: WriteToEngine = function (encodedPackets, options) {
    for (let i = 0; i < hooks.length; i += 1) {
      const hook = hooks[i]!;
      if (hook.server === this.server && hook.intercept(this, encodedPackets)) return;
    }
    original.call(this, encodedPackets, options);
  };
  patches.set(prototype, { original, patched });
  prototype.writeToEngine = patched;
}

function unpatchAll(): void {
  for (const [prototype, { original, patched }] of patches) {
    const writer = prototype as { writeToEngine: WriteToEngine };
    // Whoever patched it after us keeps our method inside theirs; with no hook left it only writes through.
    if (writer.writeToEngine === patched) writer.writeToEngine = original;
  }
  patches.clear();
}

/**
 * Routes the writes of one Socket.IO server's connections through `intercept`, with nothing stored per connection: the
 * writers' shared prototype gets one method, installed with the first hook and taken out with the last, that hands each
 * write to the hook of the writer's server; a writer of any other server writes as before.
 */
export class EngineWriterHook {
  readonly #hook: Hook;
  #installed = false;
  #removed = false;

  constructor(server: object, intercept: WriteInterceptor) {
    this.#hook = { server, intercept };
  }

  /** Routes the writes of `writer` (a connection of this hook's server) through the interceptor; a no-op once removed. */
  watch(writer: EngineWriter): void {
    if (this.#removed) return;
    if (!this.#installed) {
      hooks.push(this.#hook);
      this.#installed = true;
    }
    const prototype = Object.getPrototypeOf(writer) as { writeToEngine: WriteToEngine } | null;
    if (prototype && !patches.has(prototype)) patch(prototype);
  }

  /** Stops intercepting; the last hook removed gives the prototypes their own method back. */
  remove(): void {
    this.#removed = true;
    const at = hooks.indexOf(this.#hook);
    if (at >= 0) hooks.splice(at, 1);
    if (hooks.length === 0) unpatchAll();
  }
}
