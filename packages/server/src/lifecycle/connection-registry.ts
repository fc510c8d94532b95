import type { ClientToServerEvents, JobUpdate, ServerToClientEvents } from '@org/ws-protocol';
import type { Socket } from 'socket.io';
import type { RateBucket } from './rate-limit';
import { compactAdd, compactDelete, compactHas, compactSize, compactValues, type CompactSet } from './compact-set';
import { sinceOrigin } from './since-origin';

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
  /**
   * Last application event from the client or, when later, the last `job-update` of a job it stopped watching that was
   * written on this node while it watched it (folded in when the registry ends the subscription). A `job-update` counts
   * for every local watcher of its job, whether written to the job's room or to one socket (a `job-update` the
   * application sends on a shared io). While it watches a job, that job's time is kept once per job, not here: its
   * activity ("active") is `ConnectionRegistry.lastActivityOf`.
   */
  lastActivityAt: number;
  /** Last heartbeat answer, or `connectedAt` ("alive"). */
  lastAliveAt: number;
  /** Jobs this connection watches (changed by the registry only). */
  subscriptions: CompactSet;
}

/** The local watchers of one job, and when a `job-update` of the job was last written to a connection on this node. */
interface JobWatchers {
  watchers: CompactSet;
  /** Milliseconds since the registry's origin (a small integer, as in `connectionRecordFactory`); `undefined` before the first. */
  updatedAt: number | undefined;
}

/**
 * Every live connection, per job who watches it (and when the job last had an update written here), and the updates
 * held back for connections that are behind.
 */
export class ConnectionRegistry {
  readonly #origin: number;
  readonly #connections = new Map<string, ConnectionRecord>();
  readonly #subscribers = new Map<string, JobWatchers>();
  // Per lagging connection, the latest update of each job it has not been sent yet (no entry for a healthy one).
  readonly #conflated = new Map<string, Map<string, JobUpdate>>();
  #subscriptionCount = 0;
  #conflatedCount = 0;

  /** `origin`: the server's start on its clock (ms since the epoch), from which per-job times are kept. */
  constructor(origin: number) {
    this.#origin = origin;
  }

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
    for (const jobId of compactValues(record.subscriptions)) this.#unindex(record, jobId);
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
    const job = this.#subscribers.get(jobId);
    if (job) job.watchers = compactAdd(job.watchers, record.id);
    else this.#subscribers.set(jobId, { watchers: record.id, updatedAt: undefined });
    this.#subscriptionCount += 1;
    return true;
  }

  /** Records that a connection no longer watches a job; returns false when it did not. */
  unsubscribe(record: ConnectionRecord, jobId: string): boolean {
    if (!compactHas(record.subscriptions, jobId)) return false;
    record.subscriptions = compactDelete(record.subscriptions, jobId);
    this.#unindex(record, jobId);
    this.#subscriptionCount -= 1;
    this.#discardConflated(record.id, jobId);
    return true;
  }

  /**
   * Records that a `job-update` of `jobId` was written at `at` to a connection on this node (a room broadcast, or an
   * emit to one socket): every local watcher of the job counts as active then. Nothing is kept for a job nobody here
   * watches, and the job's time goes with its last local watcher.
   */
  noteUpdateWritten(jobId: string, at: number): void {
    const job = this.#subscribers.get(jobId);
    if (job) job.updatedAt = sinceOrigin(at, this.#origin);
  }

  /** When a connection was last active: its own `lastActivityAt`, or the last update written of a job it watches when later. */
  lastActivityOf(record: ConnectionRecord): number {
    let last = record.lastActivityAt;
    for (const jobId of compactValues(record.subscriptions)) last = Math.max(last, this.#updatedAt(this.#subscribers.get(jobId)));
    return last;
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
    // One broadcast's update is held for every connection behind, so a held update is replaced, never changed.
    const newest = previous.epoch === update.epoch && previous.seq > update.seq ? previous : update;
    if (newest !== previous || !previous.conflated) held.set(update.jobId, { ...newest, conflated: true });
    return true;
  }

  /** Whether updates are being held back for a connection. */
  isConflating(id: string): boolean {
    return this.#conflated.has(id);
  }

  /** The update held for one job of a connection, if any. */
  conflatedJob(id: string, jobId: string): JobUpdate | undefined {
    return this.#conflated.get(id)?.get(jobId);
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
    for (const id of compactValues(this.#subscribers.get(jobId)?.watchers)) {
      const record = this.#connections.get(id);
      if (record) records.push(record);
    }
    return records;
  }

  /** How many local connections watch a job. */
  subscriberCount(jobId: string): number {
    return compactSize(this.#subscribers.get(jobId)?.watchers);
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

  /** When a `job-update` of the job was last written here (ms since the epoch), or -Infinity. */
  #updatedAt(job: JobWatchers | undefined): number {
    const updatedAt = job?.updatedAt;
    return updatedAt === undefined ? Number.NEGATIVE_INFINITY : updatedAt + this.#origin;
  }

  /** Ends a connection's watch of a job, keeping in its record the job's updates it was credited with. */
  #unindex(record: ConnectionRecord, jobId: string): void {
    const job = this.#subscribers.get(jobId);
    if (!job) return;
    const updatedAt = this.#updatedAt(job);
    if (updatedAt > record.lastActivityAt) record.lastActivityAt = updatedAt;
    job.watchers = compactDelete(job.watchers, record.id);
    if (job.watchers === undefined) this.#subscribers.delete(jobId);
  }
}
