import { EventName, isTerminal, type JobUpdate } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import type { ConnectionRecord, ConnectionRegistry } from '../lifecycle/connection-registry';
import { pendingOutboundBytes, pendsMoreThan, type EngineConnection } from '../lifecycle/outbound-bytes';
import type { JobServerCounters } from '../stats';
import { EngineWriterHook, type EngineWriter } from './engine-writer-hook';
import { jobRoom } from './job-rooms';

/** How Socket.IO encodes a `job-update` event without an ack in the main namespace. */
const JOB_UPDATE_PACKET_PREFIX = `2["${EventName.JobUpdate}",`;

/** Whether a `job-update` payload names its job, as every update this server or its publishers send does. */
function isUpdateShaped(payload: unknown): payload is JobUpdate {
  return typeof payload === 'object' && payload !== null && typeof (payload as { jobId?: unknown }).jobId === 'string';
}

/** The first of a broadcast's encoded packets (Socket.IO encodes an event without binary parts as one string). */
function firstPacket(encodedPackets: unknown): unknown {
  return Array.isArray(encodedPackets) ? encodedPackets[0] : encodedPackets;
}

/** The payload of an encoded `job-update` packet (`2["job-update",{…}]`), parsed anew. */
function payloadOf(packet: string): unknown {
  return (JSON.parse(packet.slice(1)) as [string, unknown])[1];
}

/** What fanning updates out needs from the server. */
export interface UpdateFanoutDeps {
  io: JobIoServer;
  now: () => number;
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
 * Sends job updates to a job's subscribers. Every update goes out as one room broadcast, and reaches a connection
 * through its writer, which this class watches: whatever published it (this node, another node through the Redis
 * adapter, a worker's publisher), a connection with more than `conflateAboveBytes` pending gets, per job, only the
 * latest non-terminal state, sent when its transport drains (terminal states go at once, replacing any held state of
 * their job), and one past `maxPendingBytes` is closed.
 */
export class UpdateFanout {
  readonly #deps: UpdateFanoutDeps;
  // Engine.IO connections whose transport's next drain is to send what is held, with the transport waited on and the
  // socket id of the connection it carries. Keyed by the Engine.IO connection, not the record: one transport may carry a
  // connection after another (a namespace reconnect), and its listeners, one of each at most, look the current one up
  // rather than hold a record (and its socket) that ended.
  readonly #awaitingDrain = new WeakMap<EngineConnection, { readonly transport: object; socketId: string }>();
  // Engine.IO connections told to send what is held as they upgrade from long-polling: the drain waited on then never comes.
  readonly #awaitingUpgrade = new WeakSet<EngineConnection>();
  // Set while this class writes a held or terminal update itself, which the writer must let through.
  #sendingDirectly = false;
  readonly #writes: EngineWriterHook;
  // The packets of the job update being broadcast, and the update they carry: a broadcast writes the same packets to
  // each socket of its room in one go, so they are checked, parsed (unless this node published them) and timed once
  // (forgotten in the next microtask).
  #broadcastPackets: unknown;
  #broadcastUpdate: JobUpdate | undefined;
  // Whether that update was parsed from the packets (rather than being the object this node published).
  #broadcastIsCopy = false;
  // The update this node is publishing, until its broadcast's first write: known, so that a broadcast nobody is behind
  // for costs no parse of its packet. Its packet's start (as this node's stores build updates, `jobId` first) tells it
  // from a job update of another job written meanwhile (by an `onAnyOutgoing` listener, say).
  #publishing: { readonly update: JobUpdate; readonly packetStart: string } | undefined;
  readonly #forgetBroadcast = (): void => {
    this.#broadcastPackets = undefined;
    this.#broadcastUpdate = undefined;
  };

  constructor(deps: UpdateFanoutDeps) {
    this.#deps = deps;
    this.#writes = new EngineWriterHook(deps.io, (writer, encodedPackets) => this.#interceptJobUpdate(writer, encodedPackets));
  }

  /** Fans `update` out to the subscribers of its job on this node and, through the adapter, on the others. */
  publish(update: JobUpdate): void {
    // The room's sockets are written before `emit` returns: the first update of the job written meanwhile is this one.
    this.#publishing = { update, packetStart: `${JOB_UPDATE_PACKET_PREFIX}{"jobId":${JSON.stringify(update.jobId)},` };
    try {
      this.#deps.io.to(jobRoom(update.jobId)).emit(EventName.JobUpdate, update);
    } finally {
      this.#publishing = undefined;
    }
  }

  /** Watches what is written to a new connection, so that its job updates are conflated while it is behind. */
  watch(record: ConnectionRecord): void {
    this.#writes.watch(record.socket.client as unknown as EngineWriter);
  }

  /** Stops watching writes (called once the server's connections are closed). */
  close(): void {
    this.#writes.remove();
  }

  /** Sends what is held for connections that caught up, and closes those past the cap (called by the server's ticker). */
  tick(): void {
    const { registry, maxPendingBytes } = this.#deps;
    for (const id of [...registry.conflatingIds()]) {
      const record = registry.get(id);
      if (record) this.#flushIfDrained(record);
    }
    for (const record of registry.values()) {
      const bytes = pendingOutboundBytes(record.socket.conn);
      if (bytes > maxPendingBytes) this.#slowConsumer(record, bytes);
    }
  }

  /** How many more bytes the connection can be sent before it is behind (0 when it already is). */
  bytesBeforeBehind(record: ConnectionRecord): number {
    return Math.max(0, this.#deps.conflateAboveBytes - pendingOutboundBytes(record.socket.conn));
  }

  /** The largest pending outbound bytes of any connection. */
  maxPendingBytes(): number {
    let max = 0;
    for (const record of this.#deps.registry.values()) max = Math.max(max, pendingOutboundBytes(record.socket.conn));
    return max;
  }

  /** True when `encodedPackets` is a job update that this class took over (held, or sent after what it replaces). */
  #interceptJobUpdate(writer: EngineWriter, encodedPackets: unknown): boolean {
    if (this.#sendingDirectly) return false;
    const { registry, conflateAboveBytes } = this.#deps;
    let update = this.#broadcastUpdate;
    if (encodedPackets !== this.#broadcastPackets || update === undefined) {
      const packet = firstPacket(encodedPackets);
      if (typeof packet !== 'string' || !packet.startsWith(JOB_UPDATE_PACKET_PREFIX)) {
        this.#capOtherWrite(writer);
        return false;
      }
      let published: JobUpdate | undefined;
      if (this.#publishing !== undefined && packet.startsWith(this.#publishing.packetStart)) {
        published = this.#publishing.update;
        this.#publishing = undefined;
      }
      const payload = published ?? payloadOf(packet);
      // Whatever else shares the io (another node's emitter, the application) may send any payload: only an update is taken over.
      if (!isUpdateShaped(payload)) {
        this.#capOtherWrite(writer);
        return false;
      }
      update = payload;
      if (this.#broadcastPackets === undefined) queueMicrotask(this.#forgetBroadcast);
      this.#broadcastPackets = encodedPackets;
      this.#broadcastUpdate = update;
      this.#broadcastIsCopy = published === undefined;
      // Receiving updates keeps a watcher "active", so it is not dropped as idle mid-job: kept per job, once per update.
      registry.noteUpdateWritten(update.jobId, this.#deps.now());
    }
    // Only a connection that is behind, or while some are, needs its record.
    const pending = pendsMoreThan(writer.conn, conflateAboveBytes);
    if (!pending && registry.conflatedCount === 0) return false;
    const record = this.#recordOf(writer);
    if (!record || (!pending && !registry.isConflating(record.id))) return false;
    if (!this.#broadcastIsCopy) {
      // An update held for later must not share objects (its `data`) that the application may change meanwhile.
      update = this.#broadcastUpdate = payloadOf(firstPacket(encodedPackets) as string) as JobUpdate;
      this.#broadcastIsCopy = true;
    }
    this.#sendBehind(record, update);
    return true;
  }

  /**
   * Holds a write that is not a job update (a `subscribe-job` reply carrying a snapshot, a notice) to the byte cap too:
   * a connection past it is closed, so that no kind of write, nor a client that reconnects its namespace on one transport
   * that never reads, grows a backlog beyond it between two ticks.
   */
  #capOtherWrite(writer: EngineWriter): void {
    if (!pendsMoreThan(writer.conn, this.#deps.maxPendingBytes)) return;
    const record = this.#recordOf(writer);
    if (record) this.#slowConsumer(record, pendingOutboundBytes(writer.conn));
  }

  /** The registered connection a writer writes for: its socket in the main namespace, where job updates go. */
  #recordOf(writer: EngineWriter): ConnectionRecord | undefined {
    const socketId = writer.nsps.get('/')?.id;
    return socketId === undefined ? undefined : this.#deps.registry.get(socketId);
  }

  #sendDirectly(record: ConnectionRecord, update: JobUpdate): void {
    this.#sendingDirectly = true;
    try {
      record.socket.emit(EventName.JobUpdate, update);
    } finally {
      this.#sendingDirectly = false;
    }
  }

  #sendBehind(record: ConnectionRecord, update: JobUpdate): void {
    const { registry, counters } = this.#deps;
    // Updates of two histories of the job (a late one from another node, say) cannot be told apart by `seq`: the one
    // held goes first, as it would have without conflation, and the client sorts them out by epoch.
    const held = registry.conflatedJob(record.id, update.jobId);
    if (held !== undefined && held.epoch !== update.epoch) this.#sendDirectly(record, registry.takeConflatedJob(record.id, update.jobId)!);
    if (isTerminal(update.status)) {
      // Newer than whatever is held for its job, which it replaces; never held back itself.
      const replaced = registry.takeConflatedJob(record.id, update.jobId);
      if (replaced) counters.conflatedUpdates += 1;
      this.#sendDirectly(record, replaced ? { ...update, conflated: true } : update);
    } else if (registry.conflate(record.id, update)) {
      counters.conflatedUpdates += 1;
    }
    const bytes = pendingOutboundBytes(record.socket.conn);
    if (bytes > this.#deps.maxPendingBytes) this.#slowConsumer(record, bytes);
    else this.#flushIfDrained(record);
  }

  #awaitDrain(record: ConnectionRecord): void {
    const { conn } = record.socket;
    const { transport } = conn;
    const awaiting = this.#awaitingDrain.get(conn);
    if (awaiting?.transport === transport) {
      awaiting.socketId = record.id;
      return;
    }
    this.#awaitingDrain.set(conn, { transport, socketId: record.id });
    transport.once('drain', () => {
      if (this.#awaitingDrain.get(conn)?.transport === transport) this.#drained(conn);
    });
    // Engine.IO discards a long-polling transport as the connection upgrades, and that one never drains again.
    if (transport.name === 'polling' && !this.#awaitingUpgrade.has(conn)) {
      this.#awaitingUpgrade.add(conn);
      conn.once('upgrade', () => {
        if (this.#awaitingDrain.has(conn)) this.#drained(conn);
      });
    }
  }

  #drained(conn: EngineConnection): void {
    const awaiting = this.#awaitingDrain.get(conn);
    this.#awaitingDrain.delete(conn);
    const record = awaiting && this.#deps.registry.get(awaiting.socketId);
    if (record?.socket.conn === conn) this.#flushIfDrained(record);
  }

  #flushIfDrained(record: ConnectionRecord): void {
    const { registry, conflateAboveBytes } = this.#deps;
    if (!registry.isConflating(record.id)) return;
    const { conn } = record.socket;
    if (pendsMoreThan(conn, conflateAboveBytes)) {
      this.#awaitDrain(record);
      return;
    }
    const held = registry.takeConflated(record.id);
    for (let i = 0; i < held.length; i += 1) {
      // Only as much as keeps the connection under the watermark: the rest waits for the next drain, so that catching
      // up on many jobs' states never takes it from under the watermark to past the cap.
      if (i > 0 && pendsMoreThan(conn, conflateAboveBytes)) {
        for (let j = i; j < held.length; j += 1) registry.conflate(record.id, held[j]!);
        this.#awaitDrain(record);
        return;
      }
      this.#sendDirectly(record, held[i]!);
    }
  }

  #slowConsumer(record: ConnectionRecord, bytes: number): void {
    if (this.#deps.registry.get(record.id) !== record) return;
    this.#deps.onSlowConsumer(record, bytes);
  }
}
