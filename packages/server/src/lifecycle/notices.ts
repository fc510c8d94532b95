import { EventName, TimeoutNoticeAckSchema, type TimeoutNotice } from '@org/ws-protocol';
import type { ConnectionRecord } from './connection-registry';
import { DeadlineTimer, deadlineAsOf } from './deadline-timer';

/** How a notice ended. */
export type NoticeOutcome = 'acknowledged' | 'expired' | 'disconnected' | 'superseded';

interface PendingNotice {
  deadline: number;
  /** How long the notice waits, from when it was sent. */
  readonly waitMs: number;
  resolve: (outcome: NoticeOutcome) => void;
}

/**
 * Sends `server-timeout-notice` and tracks the acknowledgements it waits for. At most one notice per
 * connection is pending (a newer one supersedes it), and each ends by its ack, its deadline, or the connection
 * going away. Deadlines are kept by one timer for the whole tracker, armed for the earliest pending deadline
 * (so a notice ends at its `graceMs`, not at the next tick), and by the server's ticker, which also calls `tick`.
 */
export class NoticeTracker {
  readonly #pending = new Map<string, PendingNotice>();
  readonly #now: () => number;
  readonly #timer: DeadlineTimer;

  constructor(now: () => number) {
    this.#now = now;
    this.#timer = new DeadlineTimer(now, () => this.tick());
  }

  /** Sends a notice; resolves when it is acknowledged, expired or moot. `deadline` = `now + graceMs` unless given. */
  send(record: ConnectionRecord, notice: TimeoutNotice, deadline = this.#now() + notice.graceMs): Promise<NoticeOutcome> {
    this.#settle(record.id, 'superseded');
    return new Promise((resolve) => {
      const entry: PendingNotice = { deadline, waitMs: Math.max(0, deadline - this.#now()), resolve };
      this.#pending.set(record.id, entry);
      this.#timer.armBy(deadline);
      record.socket.emit(EventName.ServerTimeoutNotice, notice, (reply: unknown) => {
        if (this.#pending.get(record.id) !== entry) return;
        // The ack names the notice it answers (PROTOCOL.md): another reason is not an acknowledgement of this one.
        const ack = TimeoutNoticeAckSchema.safeParse(reply);
        if (!ack.success || ack.data.reason !== notice.reason) return;
        this.#settle(record.id, 'acknowledged');
      });
    });
  }

  /** Ends every notice whose deadline passed, and re-arms the timer for the earliest one left. */
  tick(): void {
    const now = this.#now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.#pending) {
      entry.deadline = deadlineAsOf(entry.deadline, now, entry.waitMs);
      if (now >= entry.deadline) this.#settle(id, 'expired');
      else earliest = Math.min(earliest, entry.deadline);
    }
    this.#timer.armAt(earliest);
  }

  /** Whether a notice to this connection awaits its ack. */
  has(id: string): boolean {
    return this.#pending.has(id);
  }

  /** Ends the pending notice of a connection that is gone. */
  forget(id: string): void {
    this.#settle(id, 'disconnected');
  }

  /** Notices awaiting an ack. */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether the deadline timer is armed (only while a notice is pending). */
  get timerArmed(): boolean {
    return this.#timer.armed;
  }

  #settle(id: string, outcome: NoticeOutcome): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#timer.disarm();
    entry.resolve(outcome);
  }
}
