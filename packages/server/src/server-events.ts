import type { TimeoutNotice } from '@org/ws-protocol';

/** Why a subscription ended. */
export type UnsubscribeReason = 'request' | 'job-expired';

/** Lifecycle events of a job server and their payloads. */
export interface JobServerEventMap {
  /** A connection was accepted. */
  connection: { socketId: string; ip: string; principal: unknown };
  /** A connection ended and everything tracked for it was removed. */
  disconnect: { socketId: string; ip: string; reason: string };
  /** A connection started watching a job. */
  subscribe: { socketId: string; jobId: string };
  /** A connection stopped watching a job. */
  unsubscribe: { socketId: string; jobId: string; reason: UnsubscribeReason };
  /** A `server-timeout-notice` was sent. */
  notice: { socketId: string; notice: TimeoutNotice };
  /** A hook, the store or a listener failed; the server carried on. */
  error: { error: unknown; context: string };
}

/** Name of a job server lifecycle event. */
export type JobServerEventName = keyof JobServerEventMap;

/** Listener of one lifecycle event. */
export type JobServerListener<E extends JobServerEventName> = (payload: JobServerEventMap[E]) => void;

/** A tiny typed emitter; a listener that throws is reported to `onListenerError` and never breaks the server. */
export class ServerEvents {
  readonly #listeners = new Map<JobServerEventName, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown, event: JobServerEventName) => void;

  constructor(onListenerError: (error: unknown, event: JobServerEventName) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns the function that removes it. */
  on<E extends JobServerEventName>(event: E, listener: JobServerListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Calls every listener of `event`. */
  emit<E extends JobServerEventName>(event: E, payload: JobServerEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as JobServerListener<E>)(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }
}
