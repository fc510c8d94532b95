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

/** The hold that `start` takes of a reason: one per reason, so that starting again changes nothing. */
const STARTED = Object.freeze({});

/**
 * Owns "the server is overloaded": the reasons in force (its own heap check, a memory monitor's heap alert, the
 * application's signals), each reported as a health reason, and the `retryAfterMs` of the refusals made meanwhile. A
 * reason is in force while it is started (`start`, idempotent, until `stop`) or while any hold of it is (`hold`, each
 * until its own release), so that two holders of one reason (two memory monitors) do not end each other's shedding.
 */
export class LoadShedding {
  readonly #deps: LoadSheddingDeps;
  /** Per reason in force, in the order they began, what holds it: `STARTED` and the holds not yet released. */
  readonly #reasons = new Map<string, Set<object>>();
  /** Releases the heap check's own hold of `heap`, while it sheds. */
  #heapHeld: (() => void) | undefined;

  constructor(deps: LoadSheddingDeps) {
    this.#deps = deps;
  }

  /** Starts shedding load for `reason` (e.g. `event-loop-lag`); idempotent per reason. */
  start(reason: string): void {
    this.#take(reason, STARTED);
  }

  /** Ends what `start` began for `reason`; it stays in force while a hold of it does. */
  stop(reason: string): void {
    this.#give(reason, STARTED);
  }

  /** Sheds load for `reason` until the returned function is called (once; later calls do nothing), whatever other holders of it do. */
  hold(reason: string): () => void {
    const hold = {};
    this.#take(reason, hold);
    return () => this.#give(reason, hold);
  }

  /** The reasons in force, in the order they began. */
  reasons(): string[] {
    return [...this.#reasons.keys()];
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
    if (heapUsed > heapUsedBytes) this.#heapHeld ??= this.hold('heap');
    else if (heapUsed <= heapUsedBytes * HEAP_RECOVERY_RATIO) {
      this.#heapHeld?.();
      this.#heapHeld = undefined;
    }
  }

  #take(reason: string, hold: object): void {
    let holds = this.#reasons.get(reason);
    if (holds === undefined) {
      holds = new Set();
      this.#reasons.set(reason, holds);
    }
    holds.add(hold);
    this.#deps.health.fail(healthReason(reason));
  }

  #give(reason: string, hold: object): void {
    const holds = this.#reasons.get(reason);
    if (!holds?.delete(hold) || holds.size > 0) return;
    this.#reasons.delete(reason);
    this.#deps.health.recover(healthReason(reason));
  }
}
