/** Where a server is in its life. */
export type Phase = 'running' | 'closing' | 'closing-backends' | 'closed';

/** Owns the server's phase (running, then closing, then closed), which every part asks before it starts work. */
export class ServerPhase {
  #phase: Phase = 'running';

  /** The current phase. */
  get current(): Phase {
    return this.#phase;
  }

  /** Whether the server still accepts connections and starts maintenance work. */
  get running(): boolean {
    return this.#phase === 'running';
  }

  /** Whether `close()` has finished. */
  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /** Whether `close()` is closing the store and Redis connections the server created, or has finished: no job update is taken any more. */
  get backendsClosing(): boolean {
    return this.#phase === 'closing-backends' || this.#phase === 'closed';
  }

  /** `close()` started: from now on nothing new is accepted. */
  beginClosing(): void {
    this.#phase = 'closing';
  }

  /** `close()` closes the server's own store and Redis connections now: an update taken from here on would outlive them. */
  beginClosingBackends(): void {
    this.#phase = 'closing-backends';
  }

  /** `close()` finished. */
  finishClosing(): void {
    this.#phase = 'closed';
  }
}
