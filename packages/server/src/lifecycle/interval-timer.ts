/** One repeating timer that the server owns and counts in `stats().timers`. */
export class IntervalTimer {
  #handle: ReturnType<typeof setInterval> | undefined;
  readonly #periodMs: number;
  readonly #task: () => void;

  constructor(periodMs: number, task: () => void) {
    this.#periodMs = periodMs;
    this.#task = task;
  }

  /** Starts ticking; a second call does nothing. */
  start(): void {
    this.#handle ??= setInterval(this.#task, this.#periodMs);
  }

  /** Stops ticking; safe to call repeatedly. */
  stop(): void {
    if (this.#handle === undefined) return;
    clearInterval(this.#handle);
    this.#handle = undefined;
  }

  /** Whether the timer is armed. */
  get running(): boolean {
    return this.#handle !== undefined;
  }
}
