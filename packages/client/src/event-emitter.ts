import { JobClientError } from './errors';

/** Minimal typed emitter: `on` returns its own unsubscribe function; a throwing listener never breaks the emitter. */
export class EventEmitter<Events extends { [E in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Adds a listener; returns the function that removes it. Throws `INVALID_OPTIONS` for a listener that is not a function. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    assertListener(listener, `on('${String(event)}')`);
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    // A wrapper makes the same function registered twice count twice, and removal exact.
    const entry = ((...args: Parameters<Events[E]>) => (listener as (...a: Parameters<Events[E]>) => void)(...args)) as Events[E];
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Calls every listener of `event`; an exception is rethrown asynchronously, as the DOM does, so the caller's state stays consistent. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear();
  }
}

/** Throws `INVALID_OPTIONS` unless `listener` is a function: one that is not would throw at the first event, far from the call that registered it. */
export function assertListener(listener: unknown, where: string): void {
  if (typeof listener !== 'function') throw new JobClientError('INVALID_OPTIONS', `${where}: the listener must be a function, got ${listener === null ? 'null' : typeof listener}`);
}
