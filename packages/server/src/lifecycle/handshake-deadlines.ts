import { DeadlineTimer, deadlineAsOf } from './deadline-timer';

/** What a handshake deadline closes: anything with Engine.IO's `close(discard)`. */
interface Closable {
  close(discard?: boolean): unknown;
}

/**
 * Transports that carry no connection, each closed `timeoutMs` after it opened (or after its connection ended) unless
 * it completes a Socket.IO handshake first. One timer for all of them, armed for the earliest deadline. The close
 * discards what Engine.IO still buffers: a long-polling transport closed gracefully would wait for a poll that a
 * client which never completes its handshake may never make.
 */
export class HandshakeDeadlines<T extends Closable> {
  // Insertion order is deadline order: every deadline is `now() + timeoutMs` when it is set.
  readonly #deadlines = new Map<T, number>();
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #timer: DeadlineTimer;

  constructor(now: () => number, timeoutMs: number) {
    this.#now = now;
    this.#timeoutMs = timeoutMs;
    this.#timer = new DeadlineTimer(now, () => this.#expire());
  }

  /** Whether the deadline timer is armed (only while a transport waits). */
  get timerArmed(): boolean {
    return this.#timer.armed;
  }

  /** Starts (or restarts) the wait of a transport. */
  start(transport: T): void {
    this.#deadlines.delete(transport);
    const deadline = this.#now() + this.#timeoutMs;
    this.#deadlines.set(transport, deadline);
    this.#timer.armBy(deadline);
  }

  /** Ends the wait of a transport (it completed a handshake, or closed). */
  stop(transport: T): void {
    if (!this.#deadlines.delete(transport)) return;
    if (this.#deadlines.size === 0) this.#timer.disarm();
  }

  #expire(): void {
    const now = this.#now();
    for (const [transport, deadline] of this.#deadlines) {
      const due = deadlineAsOf(deadline, now, this.#timeoutMs);
      if (due < deadline) this.#deadlines.set(transport, due);
      if (due > now) {
        this.#timer.armAt(due);
        return;
      }
      this.#deadlines.delete(transport);
      transport.close(true);
    }
  }
}
