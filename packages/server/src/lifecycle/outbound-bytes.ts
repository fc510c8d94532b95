import type { JobSocket } from './connection-registry';

/** A connection's Engine.IO socket (`socket.conn`, also `socket.client.conn`): what outbound bytes are read from. */
export type EngineConnection = JobSocket['conn'];

/** One entry of Engine.IO's write buffer. */
interface QueuedPacket {
  data?: unknown;
}

/** The parts of Engine.IO's socket that hold outbound data; they are private in its types. */
interface EngineSocketInternals {
  writeBuffer?: readonly QueuedPacket[];
  transport?: { socket?: { bufferedAmount?: number } };
}

/** What was counted of one write buffer: Engine.IO only appends to it, and replaces it with a new array when it flushes. */
interface CountedBuffer {
  buffer: readonly QueuedPacket[];
  entries: number;
  bytes: number;
  /** The WebSocket's backlog when last read: while the buffer stays, Engine.IO hands the WebSocket nothing, so it only shrinks. */
  buffered: number;
}

// Per Engine.IO socket that had a backlog when measured (weak: gone with the connection), so that a burst of N writes
// costs N, not N², to measure; counting a new buffer reuses the entry.
const counted = new WeakMap<object, CountedBuffer>();

// The last string packet measured, and its size: a broadcast queues the same packet for every subscriber, so that its
// UTF-8 length is worked out once per update, not once per connection (a string equal to it has the same size).
let lastPacket = '';
let lastPacketBytes = 0;

/** The bytes a packet takes on the wire: a string as UTF-8 (job data may hold any text; `length` counts UTF-16 units). */
function packetBytes({ data }: QueuedPacket): number {
  if (typeof data === 'string') {
    if (data !== lastPacket) {
      lastPacket = data;
      lastPacketBytes = Buffer.byteLength(data);
    }
    return lastPacketBytes;
  }
  return Buffer.isBuffer(data) ? data.length : 0;
}

function webSocketBacklog(conn: EngineSocketInternals): number {
  return conn.transport?.socket?.bufferedAmount ?? 0;
}

/** The count of `buffer`, started over (with the WebSocket's backlog read anew) when Engine.IO flushed since the last one. */
function tallyOf(conn: EngineSocketInternals, buffer: readonly QueuedPacket[]): CountedBuffer {
  let tally = counted.get(conn);
  if (tally === undefined) {
    tally = { buffer, entries: 0, bytes: 0, buffered: webSocketBacklog(conn) };
    counted.set(conn, tally);
  } else if (tally.buffer !== buffer || tally.entries > buffer.length) {
    tally.buffer = buffer;
    tally.entries = 0;
    tally.bytes = 0;
    tally.buffered = webSocketBacklog(conn);
  }
  return tally;
}

/** Counts more entries of the tally's buffer until its total passes `stopAbove`; returns the total. */
function countUpTo(tally: CountedBuffer, stopAbove: number): number {
  const { buffer } = tally;
  while (tally.entries < buffer.length && tally.buffered + tally.bytes <= stopAbove) {
    tally.bytes += packetBytes(buffer[tally.entries]!);
    tally.entries += 1;
  }
  return tally.buffered + tally.bytes;
}

/**
 * Bytes queued for a connection and not yet written to the kernel: Engine.IO's write buffer (string packets counted
 * as UTF-8) plus what the WebSocket holds in Node's stream. Bytes the kernel accepted are not visible to Node. The
 * entries counted are remembered, so the next call only counts what was queued since.
 */
export function pendingOutboundBytes(connection: EngineConnection): number {
  const conn = connection as unknown as EngineSocketInternals;
  const buffer = conn.writeBuffer;
  if (buffer === undefined || buffer.length === 0) return webSocketBacklog(conn);
  const tally = tallyOf(conn, buffer);
  tally.buffered = webSocketBacklog(conn);
  return countUpTo(tally, Number.POSITIVE_INFINITY);
}

/**
 * Whether more than `limit` bytes are pending for a connection (as `pendingOutboundBytes` counts them), read more
 * cheaply during a burst: while Engine.IO has not flushed, the WebSocket's backlog last read is an upper bound of the
 * current one, and it is read again only when the bound is past `limit`.
 */
export function pendsMoreThan(connection: EngineConnection, limit: number): boolean {
  const conn = connection as unknown as EngineSocketInternals;
  const buffer = conn.writeBuffer;
  if (buffer === undefined || buffer.length === 0) return webSocketBacklog(conn) > limit;
  const tally = tallyOf(conn, buffer);
  if (countUpTo(tally, limit) <= limit) return false;
  tally.buffered = webSocketBacklog(conn);
  return countUpTo(tally, limit) > limit;
}
