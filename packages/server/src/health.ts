/** Overall state an operator's health probe reports. */
export type HealthStatus = 'ok' | 'degraded' | 'shutting-down';

/** What `health()` returns. */
export interface JobServerHealth {
  /** `ok`, `degraded` (see `reasons`), or `shutting-down` once `close()` began. */
  status: HealthStatus;
  /** Why the status is not `ok`. */
  reasons: string[];
  /** Live connections. */
  connections: number;
  /** Milliseconds since the server was created. */
  uptimeMs: number;
}

/** Problems the server noticed recently, each cleared by the next success of the same kind. */
export class HealthReasons {
  readonly #reasons = new Set<string>();

  /** Records a problem, e.g. `store-unavailable`. */
  fail(reason: string): void {
    this.#reasons.add(reason);
  }

  /** Clears a problem after a success. */
  recover(reason: string): void {
    this.#reasons.delete(reason);
  }

  /** Current problems. */
  list(): string[] {
    return [...this.#reasons];
  }
}
