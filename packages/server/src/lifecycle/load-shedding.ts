import type { HealthReasons } from '../health';

/** What shedding load needs from the server. */
export interface LoadSheddingDeps {
  /** Heap in use above which the server sheds load by itself (checked at each tick); `undefined`: only when told. */
  heapUsedBytes?: number | undefined;
  /** The base of the `retryAfterMs` that refusals carry (each adds up to as much again of jitter). */
  retryAfterMs: number;
  /** Reads the V8 heap in use, in bytes. */
  readHeapUsed: () => number;
  health: HealthReasons;
  random: () => number;
}

/** Share of `heapUsedBytes` the heap must fall back under to end the `heap` reason, so that it does not flap at the threshold. */
const HEAP_RECOVERY_RATIO = 0.9;

/** Health reason while shedding for `reason`. */
const healthReason = (reason: string): string => `overloaded:${reason}`;

/**
 * Owns "the server is overloaded": the reasons in force (its own heap check, a memory monitor's heap alert, the
 * application's signals), each reported as a health reason, and the `retryAfterMs` of the refusals made meanwhile.
 */
export class LoadShedding {
  readonly #deps: LoadSheddingDeps;
  readonly #reasons = new Set<string>();

  constructor(deps: LoadSheddingDeps) {
    this.#deps = deps;
  }

  /** Starts shedding load for `reason` (e.g. `heap`); idempotent per reason. */
  start(reason: string): void {
    this.#reasons.add(reason);
    this.#deps.health.fail(healthReason(reason));
  }

  /** Stops shedding for `reason`; load is accepted again once no reason is left. */
  stop(reason: string): void {
    this.#reasons.delete(reason);
    this.#deps.health.recover(healthReason(reason));
  }

  /** The reasons in force. */
  reasons(): string[] {
    return [...this.#reasons];
  }

  /** While shedding: the `retryAfterMs` for a refusal (spread so refused clients do not return as one herd); otherwise `undefined`. */
  retryAfterMs(): number | undefined {
    if (this.#reasons.size === 0) return undefined;
    const base = this.#deps.retryAfterMs;
    return base + Math.floor(this.#deps.random() * base);
  }

  /**
   * Compares the heap with `heapUsedBytes`, when set (called by the server's ticker): above it, sheds for `heap`; back
   * under 90 % of it, stops; in between, stays as it was.
   */
  tick(): void {
    const { heapUsedBytes, readHeapUsed } = this.#deps;
    if (heapUsedBytes === undefined) return;
    const heapUsed = readHeapUsed();
    if (heapUsed > heapUsedBytes) this.start('heap');
    else if (heapUsed <= heapUsedBytes * HEAP_RECOVERY_RATIO) this.stop('heap');
  }
}
