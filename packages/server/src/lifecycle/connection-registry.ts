import type { ClientToServerEvents, JobUpdate, ServerToClientEvents } from '@org/ws-protocol';
import type { Socket } from 'socket.io';
import type { RateBucket } from './rate-limit';
import { compactAdd, compactDelete, compactHas, compactSize, compactValues, type CompactSet } from './compact-set';

/** A server-side socket with the protocol's event maps. */
export type JobSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** What the server tracks per connection; all of it goes when the connection goes. */
export interface ConnectionRecord extends RateBucket {
  /** Socket id. */
  readonly id: string;
  /** The socket itself. */
  readonly socket: JobSocket;
  /** Client IP the connection counts against. */
  readonly ip: string;
  /** What `authenticate` returned. */
  readonly principal: unknown;
  /** When the connection was accepted. */
  readonly connectedAt: number;
  /** Last application event from the client or update delivered to one of its subscriptions ("active"). */
  lastActivityAt: number;
  /** Last heartbeat answer, or `connectedAt` ("alive"). */
  lastAliveAt: number;
  /** Jobs this connection watches (changed by the registry only). */
  subscriptions: CompactSet;
}

/** Every live connection, per job who watches it, and the updates held back for connections that are behind. */
export class ConnectionRegistry {
  readonly #connections = new Map<string, ConnectionRecord>();
  readonly #subscribers = new Map<string, CompactSet>();
  // Per lagging connection, the latest update of each job it has not been sent yet (no entry for a healthy one).
  readonly #conflated = new Map<string, Map<string, JobUpdate>>();
  #subscriptionCount = 0;
  #conflatedCount = 0;

  /** Registers a connection. */
  add(record: ConnectionRecord): void {
    this.#connections.set(record.id, record);
  }

  /** The connection with this socket id, if it is still registered. */
  get(id: string): ConnectionRecord | undefined {
    return this.#connections.get(id);
  }

  /** Unregisters a connection and all its subscriptions; returns it, or `undefined` when already gone. */
  remove(id: string): ConnectionRecord | undefined {
    const record = this.#connections.get(id);
    if (!record) return undefined;
    for (const jobId of compactValues(record.subscriptions)) this.#unindex(id, jobId);
    this.#subscriptionCount -= compactSize(record.subscriptions);
    record.subscriptions = undefined;
    this.#conflatedCount -= this.#conflated.get(id)?.size ?? 0;
    this.#conflated.delete(id);
    this.#connections.delete(id);
    return record;
  }

  /** Records that a connection watches a job; returns false when it already did. */
  subscribe(record: ConnectionRecord, jobId: string): boolean {
    if (compactHas(record.subscriptions, jobId)) return false;
    record.subscriptions = compactAdd(record.subscriptions, jobId);
    this.#subscribers.set(jobId, compactAdd(this.#subscribers.get(jobId), record.id));
    this.#subscriptionCount += 1;
    return true;
  }

  /** Records that a connection no longer watches a job; returns false when it did not. */
  unsubscribe(record: ConnectionRecord, jobId: string): boolean {
    if (!compactHas(record.subscriptions, jobId)) return false;
    record.subscriptions = compactDelete(record.subscriptions, jobId);
    this.#unindex(record.id, jobId);
    this.#subscriptionCount -= 1;
    this.#discardConflated(record.id, jobId);
    return true;
  }

  /** Whether a connection watches a job. */
  watches(record: ConnectionRecord, jobId: string): boolean {
    return compactHas(record.subscriptions, jobId);
  }

  /**
   * Holds `update` as the latest unsent state of its job for a connection; returns whether an update was dropped for
   * it (the one held before, or `update` itself when an update of the same history with a higher `seq` is held, as
   * when several nodes' updates arrive out of order). The held update is marked `conflated` once one was dropped.
   */
  conflate(id: string, update: JobUpdate): boolean {
    let held = this.#conflated.get(id);
    if (!held) {
      held = new Map();
      this.#conflated.set(id, held);
    }
    const previous = held.get(update.jobId);
    if (!previous) {
      this.#conflatedCount += 1;
      held.set(update.jobId, update);
      return false;
    }
    if (previous.epoch === update.epoch && previous.seq > update.seq) previous.conflated = true;
    else held.set(update.jobId, { ...update, conflated: true });
    return true;
  }

  /** Whether updates are being held back for a connection. */
  isConflating(id: string): boolean {
    return this.#conflated.has(id);
  }

  /** Removes and returns the update held for one job of a connection. */
  takeConflatedJob(id: string, jobId: string): JobUpdate | undefined {
    const update = this.#conflated.get(id)?.get(jobId);
    if (update) this.#discardConflated(id, jobId);
    return update;
  }

  /** Removes and returns every update held for a connection, in `seq` order. */
  takeConflated(id: string): JobUpdate[] {
    const held = this.#conflated.get(id);
    if (!held) return [];
    this.#conflated.delete(id);
    this.#conflatedCount -= held.size;
    return [...held.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Ids of the connections updates are held back for. */
  conflatingIds(): IterableIterator<string> {
    return this.#conflated.keys();
  }

  /** Number of (connection, job) updates held back. */
  get conflatedCount(): number {
    return this.#conflatedCount;
  }

  /** The connections watching a job. */
  subscribersOf(jobId: string): ConnectionRecord[] {
    const records: ConnectionRecord[] = [];
    for (const id of compactValues(this.#subscribers.get(jobId))) {
      const record = this.#connections.get(id);
      if (record) records.push(record);
    }
    return records;
  }

  /** How many local connections watch a job. */
  subscriberCount(jobId: string): number {
    return compactSize(this.#subscribers.get(jobId));
  }

  /** Every registered connection. */
  values(): IterableIterator<ConnectionRecord> {
    return this.#connections.values();
  }

  /** Number of connections. */
  get size(): number {
    return this.#connections.size;
  }

  /** Number of (connection, job) subscriptions. */
  get subscriptionCount(): number {
    return this.#subscriptionCount;
  }

  /** Number of jobs with at least one local subscriber. */
  get watchedJobCount(): number {
    return this.#subscribers.size;
  }

  #discardConflated(id: string, jobId: string): void {
    const held = this.#conflated.get(id);
    if (!held?.delete(jobId)) return;
    this.#conflatedCount -= 1;
    if (held.size === 0) this.#conflated.delete(id);
  }

  #unindex(id: string, jobId: string): void {
    const watchers = compactDelete(this.#subscribers.get(jobId), id);
    if (watchers === undefined) this.#subscribers.delete(jobId);
    else this.#subscribers.set(jobId, watchers);
  }
}
