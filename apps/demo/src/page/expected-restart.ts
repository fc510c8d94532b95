/** How long after a `shutdown` notice reconnect attempts count as the expected restart rather than as failures. */
export const RESTART_PATIENCE_MS = 15_000;

/**
 * Whether the server announced a shutdown and asked clients to come back: from the notice until the page is
 * connected again, or until {@link RESTART_PATIENCE_MS} passed (a server stopped for good is a failure again).
 */
export class ExpectedRestart {
  #until = 0;
  #reconnectSeen = false;

  /** A `shutdown` notice with `reconnect: true` arrived. */
  announce(): void {
    this.#until = performance.now() + RESTART_PATIENCE_MS;
    this.#reconnectSeen = false;
  }

  /** True for the first reconnect of an expected restart only, so that it is logged once rather than per attempt. */
  firstReconnect(): boolean {
    if (!this.active || this.#reconnectSeen) return false;
    this.#reconnectSeen = true;
    return true;
  }

  /** Whether a restart is expected now. */
  get active(): boolean {
    return performance.now() < this.#until;
  }

  /** The connection is back (or given up): no restart is expected any more; returns whether one was. */
  end(): boolean {
    const wasActive = this.active;
    this.#until = 0;
    return wasActive;
  }
}
