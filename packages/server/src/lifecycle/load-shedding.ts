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
 * application's signals), each reported as a health reason, and the `retryAfterMs` of the refusals made meanwhile. A
 * reason is in force while it is started (`start`, idempotent, until `stop`) or while any hold of it is (`hold`, each
 * until its own release), so that two holders of one reason (two memory monitors) do not end each other's shedding.
 */
export class LoadShedding {
  readonly #deps: LoadSheddingDeps;
  /** Reasons started with `start`. */
  readonly #started = new Set<string>();
  /** Per reason, its holds not yet released (no entry without one). */
  readonly #holds = new Map<string, Set<object>>();
  /** Releases the heap check's own hold of `heap`, while it sheds. */
  #heapHeld: (() => void) | undefined;

  constructor(deps: LoadSheddingDeps) {
    this.#deps = deps;
  }

  /** Starts shedding load for `reason` (e.g. `event-loop-lag`); idempotent per reason. */
  start(reason: string): void {
    this.#started.add(reason);
    this.#deps.health.fail(healthReason(reason));
  }

  /** Ends what `start` began for `reason`; it stays in force while a hold of it does. */
  stop(reason: string): void {
    this.#started.delete(reason);
    this.#endUnlessHeld(reason);
  }

  /** Sheds load for `reason` until the returned function is called (once; later calls do nothing), whatever other holders of it do. */
  hold(reason: string): () => void {
    const hold = {};
    let holds = this.#holds.get(reason);
    if (holds === undefined) {
      holds = new Set();
      this.#holds.set(reason, holds);
    }
    holds.add(hold);
    this.#deps.health.fail(healthReason(reason));
    return () => {
      const current = this.#holds.get(reason);
      if (!current?.delete(hold)) return;
      if (current.size === 0) this.#holds.delete(reason);
      this.#endUnlessHeld(reason);
    };
  }

  /** The reasons in force. */
  reasons(): string[] {
    return [...new Set([...this.#started, ...this.#holds.keys()])];
  }

  /** While shedding: the `retryAfterMs` for a refusal (spread so refused clients do not return as one herd); otherwise `undefined`. */
  retryAfterMs(): number | undefined {
    if (this.#started.size === 0 && this.#holds.size === 0) return undefined;
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
    if (heapUsed > heapUsedBytes) this.#heapHeld ??= this.hold('heap');
    else if (heapUsed <= heapUsedBytes * HEAP_RECOVERY_RATIO) {
      this.#heapHeld?.();
      this.#heapHeld = undefined;
    }
  }

  #endUnlessHeld(reason: string): void {
    if (!this.#started.has(reason) && !this.#holds.has(reason)) this.#deps.health.recover(healthReason(reason));
  }
}
