import { IntervalTimer } from './interval-timer';

/** What one sweep removed. */
export interface SweepResult {
  /** Connections told `idle` or `session-expired` and disconnected. */
  disconnected: number;
  /** Stale and finished jobs dropped. */
  purgedJobs: number;
  /** Rate-limit buckets dropped. */
  purgedRateLimits: number;
}

/**
 * The one periodic sweep of the server (a single interval timer whatever the number of connections or jobs).
 * A sweep still running when the next is due is not started twice.
 */
export class Sweeper {
  readonly #timer: IntervalTimer;
  readonly #sweep: () => Promise<SweepResult>;
  readonly #onError: (error: unknown) => void;
  #inFlight: Promise<SweepResult> | undefined;

  constructor(intervalMs: number, sweep: () => Promise<SweepResult>, onError: (error: unknown) => void) {
    this.#sweep = sweep;
    this.#onError = onError;
    this.#timer = new IntervalTimer(intervalMs, () => {
      this.run().catch(this.#onError);
    });
  }

  /** Runs a sweep now, or joins the one in flight. */
  run(): Promise<SweepResult> {
    this.#inFlight ??= this.#sweep().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Starts the periodic timer. */
  start(): void {
    this.#timer.start();
  }

  /** Stops the periodic timer; resolves (never rejects) once the sweep in flight, if any, has settled. */
  async stop(): Promise<void> {
    this.#timer.stop();
    await this.#inFlight?.catch(() => undefined);
  }

  /** Whether the timer is armed. */
  get running(): boolean {
    return this.#timer.running;
  }
}
