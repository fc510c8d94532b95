import type { ServerPhase } from './lifecycle/server-phase';
import type { JobServerLogger } from './logger';
import { ServerEvents } from './server-events';
import type { JobServerCounters } from './stats';

/** Owns the server's lifecycle events and how internal failures are reported: counted, logged and emitted as `error`. */
export class ErrorReporter {
  /** The server's lifecycle events (`on(...)`); a listener that throws is reported here, never re-emitted. */
  readonly events: ServerEvents;
  readonly #phase: ServerPhase;
  readonly #counters: JobServerCounters;
  readonly #logger: Required<JobServerLogger>;

  constructor(phase: ServerPhase, counters: JobServerCounters, logger: Required<JobServerLogger>) {
    this.#phase = phase;
    this.#counters = counters;
    this.#logger = logger;
    this.events = new ServerEvents((error, event) => this.report(error, `listener of ${event}`));
  }

  /** Reports a failure of `context`: after `close()` resolved it is only logged at debug level (e.g. a sweep that outlived the deadline). */
  readonly report = (error: unknown, context: string): void => {
    if (this.#phase.closed) {
      this.#logger.debug({ err: error, context }, `job server: ${context} failed after close (not reported)`);
      return;
    }
    this.#counters.internalErrors += 1;
    this.#logger.error({ err: error, context }, `job server: ${context} failed`);
    if (!context.startsWith('listener')) this.events.emit('error', { error, context });
  };
}
