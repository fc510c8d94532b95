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

/** Reports problems noticed outside the server (e.g. a memory monitor's alerts in force) as health reasons. */
export type HealthCheck = () => readonly string[];

/** The reason `health()` lists while a check added with `addHealthCheck` throws or answers anything but a list of strings. */
export const HEALTH_CHECK_FAILED = 'health-check-failed';

/** Problems the server noticed recently, each cleared by the next success of the same kind. */
export class HealthReasons {
  readonly #reasons = new Set<string>();
  readonly #checks = new Set<HealthCheck>();

  /** Records a problem, e.g. `store-unavailable`. */
  fail(reason: string): void {
    this.#reasons.add(reason);
  }

  /** Settles as `work` does, recording `reason` when it rejects and clearing it when it resolves. */
  async track<T>(reason: string, work: Promise<T>): Promise<T> {
    try {
      const result = await work;
      this.recover(reason);
      return result;
    } catch (error) {
      this.fail(reason);
      throw error;
    }
  }

  /** Clears a problem after a success. */
  recover(reason: string): void {
    this.#reasons.delete(reason);
  }

  /** Adds a check whose reasons `list()` includes; returns the function that removes it. */
  addCheck(check: HealthCheck): () => void {
    this.#checks.add(check);
    return () => {
      this.#checks.delete(check);
    };
  }

  /** What `health()` returns: `shutting-down` once closing began, else `degraded` while any reason holds. */
  report(running: boolean, connections: number, uptimeMs: number): JobServerHealth {
    const reasons = this.list();
    return { status: !running ? 'shutting-down' : reasons.length > 0 ? 'degraded' : 'ok', reasons, connections, uptimeMs };
  }

  /** Current problems, the server's own and those of every check (a check that throws, or answers anything but a list of strings, reports `health-check-failed`). */
  list(): string[] {
    const reasons = [...this.#reasons];
    for (const check of this.#checks) {
      let listed: unknown;
      try {
        listed = check();
      } catch {
        listed = undefined;
      }
      // A check that throws, or answers anything but a list of strings (a lone string would be spread into letters).
      if (Array.isArray(listed) && listed.every((reason) => typeof reason === 'string')) reasons.push(...(listed as string[]));
      else if (!reasons.includes(HEALTH_CHECK_FAILED)) reasons.push(HEALTH_CHECK_FAILED);
    }
    return reasons;
  }
}
