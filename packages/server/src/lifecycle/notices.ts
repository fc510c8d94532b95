import { EventName, TimeoutNoticeAckSchema, type TimeoutNotice } from '@org/ws-protocol';
import type { ConnectionRecord } from './connection-registry';

/** How a notice ended. */
export type NoticeOutcome = 'acknowledged' | 'expired' | 'disconnected' | 'superseded';

interface PendingNotice {
  deadline: number;
  resolve: (outcome: NoticeOutcome) => void;
}

/**
 * Sends `server-timeout-notice` and tracks the acknowledgements it waits for. At most one notice per
 * connection is pending (a newer one supersedes it), and each ends by its ack, its deadline (checked by
 * the server's ticker, no timer of its own), or the connection going away.
 */
export class NoticeTracker {
  readonly #pending = new Map<string, PendingNotice>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Sends a notice; resolves when it is acknowledged, expired or moot. `deadline` = `now + graceMs` unless given. */
  send(record: ConnectionRecord, notice: TimeoutNotice, deadline = this.#now() + notice.graceMs): Promise<NoticeOutcome> {
    this.#settle(record.id, 'superseded');
    return new Promise((resolve) => {
      const entry: PendingNotice = { deadline, resolve };
      this.#pending.set(record.id, entry);
      record.socket.emit(EventName.ServerTimeoutNotice, notice, (reply: unknown) => {
        if (this.#pending.get(record.id) !== entry) return;
        if (!TimeoutNoticeAckSchema.safeParse(reply).success) return;
        this.#settle(record.id, 'acknowledged');
      });
    });
  }

  /** Ends every notice whose deadline passed. */
  tick(): void {
    const now = this.#now();
    for (const [id, entry] of this.#pending) {
      if (now >= entry.deadline) this.#settle(id, 'expired');
    }
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

  #settle(id: string, outcome: NoticeOutcome): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    this.#pending.delete(id);
    entry.resolve(outcome);
  }
}
