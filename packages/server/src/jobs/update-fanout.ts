import { EventName, isTerminal, type JobUpdate } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import type { ConnectionRecord, ConnectionRegistry } from '../lifecycle/connection-registry';
import { pendingOutboundBytes } from '../lifecycle/outbound-bytes';
import type { JobServerCounters } from '../stats';
import { jobRoom } from './job-rooms';

/** What fanning updates out needs from the server. */
export interface UpdateFanoutDeps {
  io: JobIoServer;
  registry: ConnectionRegistry;
  counters: JobServerCounters;
  /** Above this many pending outbound bytes a connection only gets the latest state of each job. */
  conflateAboveBytes: number;
  /** Above this many pending outbound bytes a connection is closed as a slow consumer. */
  maxPendingBytes: number;
  /** Closes a connection that is too far behind. */
  onSlowConsumer: (record: ConnectionRecord, pendingBytes: number) => void;
}

/**
 * Sends job updates to a job's subscribers. Healthy connections get one shared room broadcast; a connection with more
 * than `conflateAboveBytes` pending gets, per job, only the latest non-terminal state, sent when its transport drains
 * (terminal states go at once, replacing any held state of their job), and one past `maxPendingBytes` is closed.
 */
export class UpdateFanout {
  readonly #deps: UpdateFanoutDeps;
  // Connections waiting for their transport's next drain to send what is held for them.
  readonly #awaitingDrain = new WeakSet<ConnectionRecord>();

  constructor(deps: UpdateFanoutDeps) {
    this.#deps = deps;
  }

  /** Fans `update` out to the subscribers of its job on this node (and, through the adapter, on the others). */
  publish(update: JobUpdate, at: number): void {
    const { io, registry, conflateAboveBytes } = this.#deps;
    let behind: string[] | undefined;
    for (const record of registry.subscribersOf(update.jobId)) {
      // Receiving updates keeps a watcher "active", so it is not dropped as idle mid-job.
      record.lastActivityAt = at;
      if (!registry.isConflating(record.id) && pendingOutboundBytes(record.socket, conflateAboveBytes) <= conflateAboveBytes) continue;
      (behind ??= []).push(record.id);
      this.#sendBehind(record, update);
    }
    const room = io.to(jobRoom(update.jobId));
    (behind ? room.except(behind) : room).emit(EventName.JobUpdate, update);
  }

  /** Sends what is held for connections that caught up, and closes those past the cap (called by the server's ticker). */
  tick(): void {
    const { registry, maxPendingBytes } = this.#deps;
    for (const id of [...registry.conflatingIds()]) {
      const record = registry.get(id);
      if (record) this.#flushIfDrained(record);
    }
    for (const record of registry.values()) {
      const bytes = pendingOutboundBytes(record.socket);
      if (bytes > maxPendingBytes) this.#slowConsumer(record, bytes);
    }
  }

  /** The largest pending outbound bytes of any connection. */
  maxPendingBytes(): number {
    let max = 0;
    for (const record of this.#deps.registry.values()) max = Math.max(max, pendingOutboundBytes(record.socket));
    return max;
  }

  #sendBehind(record: ConnectionRecord, update: JobUpdate): void {
    const { registry, counters } = this.#deps;
    if (isTerminal(update.status)) {
      // Newer than whatever is held for its job, which it replaces; never held back itself.
      if (registry.takeConflatedJob(record.id, update.jobId)) counters.conflatedUpdates += 1;
      record.socket.emit(EventName.JobUpdate, update);
    } else if (registry.conflate(record.id, update)) {
      counters.conflatedUpdates += 1;
    }
    const bytes = pendingOutboundBytes(record.socket);
    if (bytes > this.#deps.maxPendingBytes) this.#slowConsumer(record, bytes);
    else this.#flushIfDrained(record);
  }

  #awaitDrain(record: ConnectionRecord): void {
    if (this.#awaitingDrain.has(record)) return;
    const transport = record.socket.conn.transport;
    this.#awaitingDrain.add(record);
    transport.once('drain', () => {
      this.#awaitingDrain.delete(record);
      if (this.#deps.registry.get(record.id) === record) this.#flushIfDrained(record);
    });
  }

  #flushIfDrained(record: ConnectionRecord): void {
    const { registry, conflateAboveBytes } = this.#deps;
    if (!registry.isConflating(record.id)) return;
    if (pendingOutboundBytes(record.socket, conflateAboveBytes) > conflateAboveBytes) {
      this.#awaitDrain(record);
      return;
    }
    for (const update of registry.takeConflated(record.id)) record.socket.emit(EventName.JobUpdate, update);
  }

  #slowConsumer(record: ConnectionRecord, bytes: number): void {
    if (this.#deps.registry.get(record.id) !== record) return;
    this.#deps.onSlowConsumer(record, bytes);
  }
}
