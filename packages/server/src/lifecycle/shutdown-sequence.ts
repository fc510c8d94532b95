import type { JobServerLogger } from '../logger';
import { resolveCloseTimeoutMs } from '../options';
import type { ConnectionLifecycle } from './connection-lifecycle';
import type { ConnectionRegistry } from './connection-registry';
import type { ServerPhase } from './server-phase';
import { spreadRetryAfterMs, withDeadline } from './shutdown';

/** Work that runs in the background and must settle (or be given up at the deadline) before the server is closed. */
interface Stoppable {
  /** Stops starting new runs; resolves when the one in flight settled. */
  stop(): Promise<unknown> | void;
}

/** What the shutdown sequence needs from the server. */
export interface ShutdownSequenceDeps {
  phase: ServerPhase;
  now: () => number;
  logger: Required<JobServerLogger>;
  registry: ConnectionRegistry;
  connections: ConnectionLifecycle;
  /** Spread of the reconnect delays told to clients (`shutdown.retryWindowMs`). */
  retryWindowMs: number;
  /** Deadline of a `close()` that names none (`shutdown.timeoutMs`). */
  defaultTimeoutMs: number;
  ticker: Stoppable;
  sweeper: Stoppable;
  countsRefresher: Stoppable;
  /** Closes (or detaches from) Socket.IO once every connection was told and dropped. */
  closeTransport: () => Promise<void>;
  /** Closes what the server owns behind the connections (its store, its Redis membership), in order. */
  closeBackends: () => Promise<void>;
}

/**
 * Owns the graceful shutdown: stop the timers, send every connection a `shutdown` notice with a spread reconnect delay,
 * wait for the acks or the deadline, drop the rest, close the transport, let a running sweep and count refresh settle
 * (bounded by the same deadline), then close the backends. Its one deadline timer counts in `stats().timers`.
 */
export class ShutdownSequence {
  readonly #deps: ShutdownSequenceDeps;
  #deadlineArmed = false;
  #closing: Promise<void> | undefined;

  constructor(deps: ShutdownSequenceDeps) {
    this.#deps = deps;
  }

  /** Whether a deadline timer of the shutdown is pending. */
  get timerArmed(): boolean {
    return this.#deadlineArmed;
  }

  /**
   * `JobServer.close()`: checks the options, then runs the sequence once; every later call gets the same promise.
   * Rejects with JobServerOptionsError for an invalid `timeoutMs` (and runs nothing).
   */
  close(closeOptions: unknown): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = resolveCloseTimeoutMs(closeOptions, this.#deps.defaultTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.run(timeoutMs);
    return this.#closing;
  }

  /** Runs the sequence once with a deadline of `timeoutMs` (0: send the notices and wait for no ack). */
  async run(timeoutMs: number): Promise<void> {
    const { phase, now, logger, registry, connections, retryWindowMs } = this.#deps;
    phase.beginClosing();
    this.#deps.ticker.stop();
    const sweepSettled = Promise.resolve(this.#deps.sweeper.stop());
    const refreshSettled = Promise.resolve(this.#deps.countsRefresher.stop());
    const records = [...registry.values()];
    const deadline = now() + timeoutMs;
    // What is left of the deadline: never more than `timeoutMs`, even when the clock went back meanwhile.
    const remainingMs = (): number => Math.min(timeoutMs, Math.max(1, deadline - now()));
    const noticed = records.map((record, index) =>
      connections.noticeAndDisconnect(
        record,
        { reason: 'shutdown', graceMs: timeoutMs, reconnect: true, retryAfterMs: spreadRetryAfterMs(index, records.length, retryWindowMs) },
        deadline,
      ),
    );
    // Measured from the deadline: sending the notices to many connections takes time of its own.
    if (noticed.length > 0 && timeoutMs > 0) await this.#within(Promise.all(noticed), remainingMs());
    for (const record of [...registry.values()]) connections.drop(record, 'shutdown');
    await this.#deps.closeTransport();
    // The sweep uses the store and the cluster: it must not fail (and report it) after they are closed,
    // but a store call that never returns must not hold the shutdown past its deadline either.
    if ((await this.#within(sweepSettled, remainingMs())) === 'deadline') {
      logger.warn({ timeoutMs }, 'job server: closing while a sweep is still running past the shutdown deadline');
    }
    // Likewise a job-count refresh (its failure from now on is not reported: the store may be closing under it).
    if ((await this.#within(refreshSettled, remainingMs())) === 'deadline') {
      logger.warn({ timeoutMs }, 'job server: closing while a job-count refresh is still running past the shutdown deadline');
    }
    phase.beginClosingBackends();
    await this.#deps.closeBackends();
    phase.finishClosing();
    logger.info({}, 'job server: closed');
  }

  #within(work: Promise<unknown>, timeoutMs: number): Promise<'done' | 'deadline'> {
    return withDeadline(work, timeoutMs, (armed) => {
      this.#deadlineArmed = armed;
    });
  }
}
