/**
 * One timer for many deadlines: armed for the earliest deadline it was given, it calls `onDue` once that passes (the
 * owner then settles what is due and arms it for the next one). Never more than one pending `setTimeout`.
 */
export class DeadlineTimer {
  readonly #now: () => number;
  readonly #onDue: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline = Number.POSITIVE_INFINITY;

  constructor(now: () => number, onDue: () => void) {
    this.#now = now;
    this.#onDue = onDue;
  }

  /** Whether the timer is pending. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Arms the timer for `deadline` unless it is already armed for an earlier one. */
  armBy(deadline: number): void {
    if (deadline < this.#deadline) this.armAt(deadline);
  }

  /** Arms the timer for exactly `deadline`; `Infinity` disarms it. */
  armAt(deadline: number): void {
    if (deadline === this.#deadline) return;
    this.disarm();
    if (deadline === Number.POSITIVE_INFINITY) return;
    this.#deadline = deadline;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#deadline = Number.POSITIVE_INFINITY;
      this.#onDue();
    }, Math.max(0, deadline - this.#now()));
  }

  /** Cancels the pending timer, if any. */
  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = Number.POSITIVE_INFINITY;
  }
}

/**
 * A deadline set `waitMs` ahead, as of `now`: never further ahead than `waitMs`, which it only is when the clock went
 * back (an NTP step, a VM resumed) and would otherwise be waited for until the clock is back where it was.
 */
export function deadlineAsOf(deadline: number, now: number, waitMs: number): number {
  return Math.min(deadline, now + waitMs);
}
