import { EventName, isTerminal, type JobUpdate } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import { jobRoom } from '../jobs/job-rooms';
import type { JobStore } from '../jobs/job-store';
import type { JobServerLogger } from '../logger';

const ROOM_PREFIX = jobRoom('');

/** Most watched jobs one step of a catch-up confirms and reads at once. */
export const CATCH_UP_BATCH = 100;

/** What catching up after a fan-out gap needs. */
export interface FanoutCatchUpDeps {
  io: JobIoServer;
  store: Pick<JobStore, 'get'>;
  /**
   * Resolves once Redis confirmed that this node's subscription covers the updates of `rooms` again (e.g. a PING behind
   * the subscriber's resubscriptions, or the rooms' sharded channels subscribed again); rejects when it could not tell.
   */
  confirmSubscribed: (rooms: readonly string[]) => Promise<unknown>;
  /** The store no longer holds a job this node's sockets watch: they are told it is `gone`. */
  onJobLost: (jobId: string) => void;
  logger: Required<JobServerLogger>;
}

/** How far below the highest `seq` a room was sent the updates it was sent are known (one bit each). */
const SENT_WINDOW = 32;

/** What a job's room was sent in its latest epoch: the highest `seq`, and which of the `SENT_WINDOW` seqs up to it. */
interface Delivered {
  epoch: string;
  seq: number;
  /** Bit `n` set: `seq - n` was sent. */
  sent: number;
  /** The update of the highest `seq` is terminal: the room has the job's outcome. */
  ended: boolean;
}

/** The target of a broadcast, as socket.io-adapter passes it to `apply`. */
interface BroadcastTarget {
  rooms?: ReadonlySet<string>;
  except?: ReadonlySet<string>;
  /** `volatile`: sockets whose transport is not writable are skipped, so the room may not have got it. */
  flags?: { volatile?: boolean };
}

/** The slice of socket.io-adapter's in-memory adapter this class hooks into (every adapter of the Redis fan-out extends it). */
interface BroadcastingAdapter {
  readonly rooms: Map<string, Set<string>>;
  /** Encodes each broadcast packet once, before it is written to the room's sockets (socket.io-adapter 2.5). */
  _encode?: (packet: { data?: unknown }, options: unknown) => unknown;
  /** Runs `callback` on each socket of `target`; a broadcast calls it right after `_encode`, in the same turn. */
  apply?: (target: BroadcastTarget, callback: (socket: unknown) => void) => void;
  on(event: 'delete-room', listener: (room: string) => void): unknown;
  off(event: 'delete-room', listener: (room: string) => void): unknown;
}

/**
 * Closes the gap a node's Redis subscription leaves while it is away (a reconnect, a failed-over master whose channels
 * the node has not subscribed again yet): updates published meanwhile never reach the node. When the subscription is
 * back, `run()` reads the snapshot of every job its sockets watch, in batches, once Redis confirmed the subscription of
 * the batch's rooms, and sends each room the snapshot when it is newer than what the room was last sent (another epoch,
 * or a higher `seq`). Clients drop what they have and take a `seq` jump, so a terminal update reaches each of them once.
 * A job the store no longer holds is reported lost, unless its room was sent the job's terminal update. A `job-update` broadcast to a watched job's room that the room was
 * already sent (the same Redis message delivered twice, for one) is dropped.
 */
export class FanoutCatchUp {
  readonly #deps: FanoutCatchUpDeps;
  readonly #adapter: BroadcastingAdapter;
  /** What each watched job's room was last sent; entries go with their room. */
  readonly #delivered = new Map<string, Delivered>();
  readonly #onDeleteRoom = (room: string): void => {
    if (room.startsWith(ROOM_PREFIX)) this.#delivered.delete(room.slice(ROOM_PREFIX.length));
  };
  /** The `_encode` and `apply` this instance installed, if any. */
  #encodeHook: BroadcastingAdapter['_encode'];
  #applyHook: BroadcastingAdapter['apply'];
  /** The data of the packet a broadcast just encoded, until the broadcast's `apply` tells where it goes. */
  #encodedData: unknown;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(deps: FanoutCatchUpDeps) {
    this.#deps = deps;
    this.#adapter = deps.io.of('/').adapter as unknown as BroadcastingAdapter;
    const { _encode: encode, apply } = this.#adapter;
    // Without the hooks (another adapter version) nothing is known to be delivered: every watched job's snapshot goes.
    // A broadcast encodes its packet, then applies it to its target: the update is noted once the target is known
    // (an application sharing the io may send a `job-update` to one socket, which is no delivery to the job's room).
    if (typeof encode === 'function' && typeof apply === 'function') {
      this.#encodeHook = (packet, options) => {
        const encoded = encode.call(this.#adapter, packet, options);
        this.#encodedData = packet.data;
        return encoded;
      };
      this.#applyHook = (target, callback) => {
        const data = this.#encodedData;
        this.#encodedData = undefined;
        if (data !== undefined && this.#noteBroadcast(data, target) === 'drop') return;
        apply.call(this.#adapter, target, callback);
      };
      this.#adapter._encode = this.#encodeHook;
      this.#adapter.apply = this.#applyHook;
    }
    this.#adapter.on('delete-room', this.#onDeleteRoom);
  }

  /** Catches up every watched job; a call while one runs makes it run once more when done (each run sees the rooms of its start). */
  run(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops catching up (a run stops before its next batch) and unhooks from the adapter. */
  close(): void {
    this.#closed = true;
    // Only our own hooks go: one installed over them (another server on the same io) stays.
    if (this.#encodeHook && this.#adapter._encode === this.#encodeHook) delete this.#adapter._encode;
    if (this.#applyHook && this.#adapter.apply === this.#applyHook) delete this.#adapter.apply;
    this.#encodedData = undefined;
    this.#adapter.off('delete-room', this.#onDeleteRoom);
    this.#delivered.clear();
  }

  async #loop(): Promise<void> {
    // Called from a client's 'ready' event, which ioredis emits before it sends the resubscriptions: confirming must
    // queue behind them.
    await Promise.resolve();
    do {
      this.#again = false;
      try {
        await this.#catchUp();
      } catch (error) {
        this.#deps.logger.error({ err: error }, 'job server: catching the watched jobs up failed');
      }
    } while (this.#again && !this.#closed);
  }

  async #catchUp(): Promise<void> {
    const rooms = [...this.#adapter.rooms.keys()].filter((room) => room.startsWith(ROOM_PREFIX));
    let failures = 0;
    let firstError: unknown;
    for (let start = 0; start < rooms.length && !this.#closed; start += CATCH_UP_BATCH) {
      const batch = rooms.slice(start, start + CATCH_UP_BATCH).filter((room) => this.#adapter.rooms.has(room));
      if (batch.length === 0) continue;
      try {
        await this.#deps.confirmSubscribed(batch);
      } catch (error) {
        // The snapshots are still worth reading; a later signal (the next reconnect or topology change) runs again.
        failures += 1;
        firstError ??= error;
      }
      const snapshots = await Promise.allSettled(batch.map((room) => this.#deps.store.get(room.slice(ROOM_PREFIX.length))));
      snapshots.forEach((outcome, index) => {
        const room = batch[index]!;
        if (outcome.status === 'rejected') {
          failures += 1;
          firstError ??= outcome.reason;
        } else if (!this.#closed && this.#adapter.rooms.has(room)) {
          this.#deliver(room, outcome.value);
        }
      });
    }
    if (failures > 0) this.#deps.logger.warn({ err: firstError, failures, rooms: rooms.length }, 'job server: could not catch every watched job up after the Redis subscription came back');
  }

  #deliver(room: string, snapshot: JobUpdate | null): void {
    const jobId = room.slice(ROOM_PREFIX.length);
    const delivered = this.#delivered.get(jobId);
    if (!snapshot) {
      // A finished job that Redis let expire is no loss to a room that was sent its outcome (`job-expired` is for jobs
      // that never finished).
      if (!delivered?.ended) this.#deps.onJobLost(jobId);
      return;
    }
    if (delivered && delivered.epoch === snapshot.epoch && delivered.seq >= snapshot.seq) return;
    this.#deps.io.local.to(room).emit(EventName.JobUpdate, snapshot);
    // The snapshot replaces every older state and clients then drop older seqs: a late copy of one (a retried publish)
    // is not sent after it.
    const noted = this.#delivered.get(jobId);
    if (noted && noted.epoch === snapshot.epoch && noted.seq === snapshot.seq) noted.sent = -1;
  }

  /**
   * Notes a `job-update` broadcast to a room of this node (local, from another node, from a publisher, or a catch-up)
   * when it went to the whole room of its job, and says whether it goes out: an update that room alone was already sent
   * (the same Redis message delivered twice, for one) is dropped. Every socket of the room has it or a newer state: a
   * socket in the room then got it, one that joined since read the store after joining, when it was there. An older
   * update the room was not sent (one node's update overtaken by a later one of another) still goes, as does one more
   * than `SENT_WINDOW` below the highest `seq` the room was sent (not known either way); one below a catch-up's snapshot
   * counts as sent. A volatile broadcast (which skips sockets that cannot take it now) and a `seq` that is no safe
   * integer go out and are not noted.
   */
  #noteBroadcast(data: unknown, target: BroadcastTarget): 'send' | 'drop' {
    if (this.#closed || !Array.isArray(data) || data[0] !== EventName.JobUpdate) return 'send';
    const update = data[1] as Partial<JobUpdate> | undefined;
    if (typeof update?.jobId !== 'string' || typeof update.seq !== 'number' || !Number.isSafeInteger(update.seq) || typeof update.epoch !== 'string') return 'send';
    const room = jobRoom(update.jobId);
    if (!target.rooms?.has(room) || (target.except?.size ?? 0) > 0 || target.flags?.volatile) return 'send';
    // Updates of jobs nobody here watches pass through too (classic fan-out): only watched rooms are kept.
    if (!this.#adapter.rooms.has(room)) return 'send';
    const delivered = this.#delivered.get(update.jobId);
    if (!delivered || delivered.epoch !== update.epoch) {
      this.#delivered.set(update.jobId, { epoch: update.epoch, seq: update.seq, sent: 1, ended: update.status !== undefined && isTerminal(update.status) });
      return 'send';
    }
    if (update.seq > delivered.seq) {
      const shift = update.seq - delivered.seq;
      delivered.sent = shift < SENT_WINDOW ? (delivered.sent << shift) | 1 : 1;
      delivered.seq = update.seq;
      delivered.ended = update.status !== undefined && isTerminal(update.status);
      return 'send';
    }
    const below = delivered.seq - update.seq;
    if (below >= SENT_WINDOW) return 'send';
    if (((delivered.sent >>> below) & 1) === 0) {
      delivered.sent |= 1 << below;
      return 'send';
    }
    // A broadcast to other rooms as well still goes to them.
    return target.rooms.size === 1 ? 'drop' : 'send';
  }
}
