import { EventName, HeartbeatAckCheck, HeartbeatAckSchema, parseChecked, type Heartbeat } from '@org/ws-protocol';
import type { ConnectionRecord } from './connection-registry';
import { WelcomePacket } from './welcome-packet';

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
 * Liveness probing without a timer per socket: a new connection gets a welcome `heartbeat` at once (not a probe: it
 * asks for no answer), then the server's one ticker calls `tick`, which sends a round of probes every `intervalMs` and
 * declares dead whoever left a probe unanswered for `timeoutMs`. Every heartbeat advertises `intervalMs` and
 * `timeoutMs` to the client. At most one probe per connection is pending, so pending acks are bounded by the number of
 * connections.
 */
export class HeartbeatMonitor {
  readonly #deps: HeartbeatDeps;
  readonly #pending = new Map<string, { ts: number; sentAt: number }>();
  readonly #welcome: WelcomePacket;
  #lastRoundAt: number;

  constructor(deps: HeartbeatDeps) {
    this.#deps = deps;
    this.#welcome = new WelcomePacket((ts) => this.#payload(ts));
    this.#lastRoundAt = deps.now();
  }

  /** Checks overdue probes, then sends a round if one is due. */
  tick(): void {
    const now = this.#deps.now();
    // The clock went back (an NTP step, a VM resumed): a round is due now, not when the clock is back where it was,
    // which would leave every client without a heartbeat for that long.
    if (now < this.#lastRoundAt) this.#lastRoundAt = now - this.#deps.intervalMs;
    for (const record of this.#deps.connections()) {
      const probe = this.#pending.get(record.id);
      // Likewise, a probe sent "later" than now is timed from now.
      if (probe && probe.sentAt > now) probe.sentAt = now;
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

  /**
   * Sends a new connection its welcome heartbeat at once, so that the client learns the timing before its own bound
   * runs out. It is not a probe and asks for no answer (PROTOCOL.md, `heartbeat`): the connection's liveness is judged
   * from the first round on. No acknowledgement callback means nothing kept per connection until the client answers.
   */
  welcome(record: ConnectionRecord): void {
    this.#welcome.send(record.socket, this.#deps.now());
  }

  /** Drops the pending probe of a connection that is gone. */
  forget(id: string): void {
    this.#pending.delete(id);
  }

  /** Probes awaiting an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #payload(ts: number): Heartbeat {
    return { ts, intervalMs: this.#deps.intervalMs, timeoutMs: this.#deps.timeoutMs };
  }

  #probe(record: ConnectionRecord, now: number): void {
    this.#pending.set(record.id, { ts: now, sentAt: now });
    record.socket.emit(EventName.Heartbeat, this.#payload(now), (reply: unknown) => {
      const probe = this.#pending.get(record.id);
      if (!probe || probe.ts !== now) return;
      const answer = parseChecked(HeartbeatAckCheck, HeartbeatAckSchema, reply);
      if (!answer.ok || answer.value.ts !== now) {
        this.#deps.onInvalidAnswer(record);
        return;
      }
      this.#pending.delete(record.id);
      record.lastAliveAt = this.#deps.now();
    });
  }
}
