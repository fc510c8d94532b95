import { EventName, HeartbeatAckSchema } from '@org/ws-protocol';
import type { ConnectionRecord } from './connection-registry';

/** What the heartbeat needs from the server. */
export interface HeartbeatDeps {
  intervalMs: number;
  timeoutMs: number;
  now: () => number;
  connections: () => Iterable<ConnectionRecord>;
  /** A connection did not answer in time. */
  onDead: (record: ConnectionRecord) => void;
  /** An answer that is not `{ ts }` of the probe was received. */
  onInvalidAnswer: (record: ConnectionRecord) => void;
}

/**
 * Liveness probing without a timer per socket: the server's one ticker calls `tick`, which sends a round of
 * `heartbeat`s every `intervalMs` and declares dead whoever left a probe unanswered for `timeoutMs`.
 * At most one probe per connection is pending, so pending acks are bounded by the number of connections.
 */
export class HeartbeatMonitor {
  readonly #deps: HeartbeatDeps;
  readonly #pending = new Map<string, { ts: number; sentAt: number }>();
  #lastRoundAt: number;

  constructor(deps: HeartbeatDeps) {
    this.#deps = deps;
    this.#lastRoundAt = deps.now();
  }

  /** Checks overdue probes, then sends a round if one is due. */
  tick(): void {
    const now = this.#deps.now();
    for (const record of this.#deps.connections()) {
      const probe = this.#pending.get(record.id);
      if (probe && now - probe.sentAt >= this.#deps.timeoutMs) {
        this.#pending.delete(record.id);
        this.#deps.onDead(record);
      }
    }
    if (now - this.#lastRoundAt < this.#deps.intervalMs) return;
    this.#lastRoundAt = now;
    for (const record of this.#deps.connections()) {
      if (!this.#pending.has(record.id)) this.#probe(record, now);
    }
  }

  /** Drops the pending probe of a connection that is gone. */
  forget(id: string): void {
    this.#pending.delete(id);
  }

  /** Probes awaiting an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #probe(record: ConnectionRecord, now: number): void {
    this.#pending.set(record.id, { ts: now, sentAt: now });
    record.socket.emit(EventName.Heartbeat, { ts: now }, (reply: unknown) => {
      const probe = this.#pending.get(record.id);
      if (!probe || probe.ts !== now) return;
      const parsed = HeartbeatAckSchema.safeParse(reply);
      if (!parsed.success || parsed.data.ts !== now) {
        this.#deps.onInvalidAnswer(record);
        return;
      }
      this.#pending.delete(record.id);
      record.lastAliveAt = this.#deps.now();
    });
  }
}
